//! The syntax tree of a Flink SQL script, as far as connector DDL needs it.
//!
//! Every node keeps absolute byte spans into the [`SourceFile`](crate::diagnostics::SourceFile)
//! it came from, so SQL embedded in a scenario file reports positions in that file. Expressions
//! are not modelled: they are kept as spans.

use crate::diagnostics::Span;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    CreateTable(CreateTable),
    Insert(Insert),
    Set(SetStatement),
    /// Any statement the linter does not look into (views, catalogs, `USE`, `EXECUTE ...`).
    Other {
        span: Span,
    },
}

impl Statement {
    pub fn span(&self) -> Span {
        match self {
            Statement::CreateTable(t) => t.span,
            Statement::Insert(i) => i.span,
            Statement::Set(s) => s.span,
            Statement::Other { span } => *span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTable {
    /// From `CREATE` to the terminating `;` (included when present).
    pub span: Span,
    pub name: ObjectName,
    pub if_not_exists: bool,
    pub temporary: bool,
    pub columns: Vec<ColumnDef>,
    /// Either the table constraint or an inline `PRIMARY KEY` on a column (`inline` tells which).
    pub primary_key: Option<PrimaryKey>,
    /// The whole `WATERMARK FOR ... AS ...` clause.
    pub watermark: Option<Span>,
    pub options: Vec<TableOption>,
    /// From `WITH` to its closing parenthesis.
    pub with_span: Option<Span>,
    /// Whether a `;` ends the statement.
    pub terminated: bool,
    /// `CREATE TABLE ... LIKE other`: columns and options may come from elsewhere.
    pub like: Option<ObjectName>,
    /// `CREATE TABLE ... AS SELECT`: the columns come from the query.
    pub as_select: bool,
}

impl CreateTable {
    /// The option with exactly this key (the last one when repeated: Flink keeps the last).
    pub fn option(&self, key: &str) -> Option<&TableOption> {
        self.options.iter().rev().find(|o| o.key == key)
    }

    /// The `connector` option.
    pub fn connector(&self) -> Option<&TableOption> {
        self.option("connector")
    }

    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name.value == name)
    }

    /// Columns a `SELECT *` yields: all of them, metadata and computed ones included.
    pub fn readable_columns(&self) -> impl Iterator<Item = &ColumnDef> {
        self.columns.iter()
    }

    /// Columns an `INSERT` without a column list must provide: physical and persisted metadata.
    pub fn writable_columns(&self) -> impl Iterator<Item = &ColumnDef> {
        self.columns.iter().filter(|c| c.kind.is_persisted())
    }
}

/// A possibly qualified name such as `catalog.db.table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectName {
    pub parts: Vec<Ident>,
    pub span: Span,
}

impl ObjectName {
    /// The last part: the table's own name.
    pub fn base(&self) -> &str {
        self.parts.last().map(|p| p.value.as_str()).unwrap_or("")
    }

    /// Parts joined with dots, unquoted.
    pub fn display(&self) -> String {
        self.parts.iter().map(|p| p.value.as_str()).collect::<Vec<_>>().join(".")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// Without backquotes (and with doubled backquotes undone).
    pub value: String,
    pub span: Span,
    pub quoted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: Ident,
    /// For computed columns, whose type is inferred, the text is empty and the span is the name's.
    pub data_type: DataType,
    pub kind: ColumnKind,
    pub not_null: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataType {
    /// Normalized: keywords upper-case, single spaces, e.g. `DECIMAL(10, 2)`,
    /// `ROW<a INT, b STRING>`, `TIMESTAMP(3) WITH LOCAL TIME ZONE`.
    pub text: String,
    pub span: Span,
}

impl DataType {
    /// The type's family, e.g. `DECIMAL` for `DECIMAL(10, 2)`, with synonyms folded
    /// (`STRING` and `VARCHAR` are both `VARCHAR`), for comparing types across tables.
    pub fn family(&self) -> &'static str {
        let head: &str = self.text.split(['(', '<', ' ']).next().unwrap_or("");
        match head {
            "STRING" | "VARCHAR" | "CHAR" | "CHARACTER" => "STRING",
            "INT" | "INTEGER" => "INT",
            "BIGINT" => "BIGINT",
            "SMALLINT" => "SMALLINT",
            "TINYINT" => "TINYINT",
            "BOOLEAN" | "BOOL" => "BOOLEAN",
            "DECIMAL" | "DEC" | "NUMERIC" => "DECIMAL",
            "DOUBLE" => "DOUBLE",
            "FLOAT" | "REAL" => "FLOAT",
            "DATE" => "DATE",
            "TIME" => "TIME",
            "TIMESTAMP" if self.text.contains("LOCAL TIME ZONE") => "TIMESTAMP_LTZ",
            "TIMESTAMP" => "TIMESTAMP",
            "TIMESTAMP_LTZ" => "TIMESTAMP_LTZ",
            "BYTES" | "BINARY" | "VARBINARY" => "BYTES",
            "ARRAY" => "ARRAY",
            "MAP" => "MAP",
            "MULTISET" => "MULTISET",
            "ROW" => "ROW",
            "INTERVAL" => "INTERVAL",
            _ => "OTHER",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnKind {
    Physical,
    /// `METADATA [FROM 'key'] [VIRTUAL]`.
    Metadata {
        key: Option<String>,
        is_virtual: bool,
    },
    /// `name AS expr`.
    Computed {
        expr: Span,
    },
}

impl ColumnKind {
    /// Whether a sink writes this column (physical or non-virtual metadata).
    pub fn is_persisted(&self) -> bool {
        match self {
            ColumnKind::Physical => true,
            ColumnKind::Metadata { is_virtual, .. } => !is_virtual,
            ColumnKind::Computed { .. } => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryKey {
    pub columns: Vec<Ident>,
    pub not_enforced: bool,
    /// From `PRIMARY` (or `CONSTRAINT`) to `ENFORCED` or the column list's `)`.
    pub span: Span,
    /// Written on a column (`id INT PRIMARY KEY`) rather than as a table constraint.
    pub inline: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOption {
    pub key: String,
    pub key_span: Span,
    /// Unescaped (`''` becomes `'`).
    pub value: String,
    /// Includes the quotes.
    pub value_span: Span,
}

impl TableOption {
    /// The span of the whole `'key' = 'value'` pair.
    pub fn span(&self) -> Span {
        self.key_span.join(self.value_span)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insert {
    pub span: Span,
    pub target: ObjectName,
    pub columns: Option<Vec<Ident>>,
    /// `None` for `VALUES` or a query the parser does not look into.
    pub select: Option<Select>,
    pub overwrite: bool,
    pub terminated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Select {
    pub span: Span,
    pub items: Vec<SelectItem>,
    /// The first table in `FROM`, when it is a plain name.
    pub from: Option<ObjectName>,
    /// Whether `FROM` has more than one table (joins, commas) or a subquery: `*` then
    /// expands beyond the one table in `from`.
    pub from_is_simple: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectItem {
    /// `*` or `t.*`.
    Wildcard { qualifier: Option<ObjectName>, span: Span },
    Expr {
        span: Span,
        /// When the expression is a bare (possibly qualified) column reference.
        column: Option<ObjectName>,
        /// When the expression is `CAST(... AS type)`.
        cast: Option<DataType>,
        alias: Option<Ident>,
    },
}

impl SelectItem {
    pub fn span(&self) -> Span {
        match self {
            SelectItem::Wildcard { span, .. } | SelectItem::Expr { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetStatement {
    pub key: String,
    pub value: String,
    pub span: Span,
}
