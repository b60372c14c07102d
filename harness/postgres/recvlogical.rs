//! `pg_recvlogical --start` on a slot, as a shell command for inside the PostgreSQL container
//! (over its local socket): the second reader of `occupy-slot`, and the stand-in for the CDC
//! connector's reader where the connector cannot be had.

/// A `pg_recvlogical` streaming command, built up; [`Recvlogical::command`] renders it.
#[derive(Debug, Clone)]
pub struct Recvlogical {
    user: String,
    database: String,
    slot: String,
    options: Vec<String>,
    output: String,
}

impl Recvlogical {
    /// Streams `slot` of `database` as `user` until the server ends it (`--no-loop`), discarding
    /// what it decodes.
    pub fn new(user: &str, database: &str, slot: &str) -> Self {
        Recvlogical {
            user: user.into(),
            database: database.into(),
            slot: slot.into(),
            options: Vec::new(),
            output: "/dev/null".into(),
        }
    }

    /// The options a `pgoutput` slot refuses to stream without: the protocol version and the
    /// publication to read.
    pub fn pgoutput(self, publication: &str) -> Self {
        self.option(format!("-o proto_version=1 -o publication_names='{publication}'"))
    }

    /// Any other `pg_recvlogical` arguments (`--endpos=…`, `-s 1 -F 1`, `--create-slot …`).
    pub fn option(mut self, arguments: impl Into<String>) -> Self {
        self.options.push(arguments.into());
        self
    }

    /// Writes what it decodes to `path` (inside the container).
    pub fn output(mut self, path: &str) -> Self {
        self.output = path.into();
        self
    }

    pub fn command(&self) -> String {
        let mut command = format!(
            "pg_recvlogical -h /var/run/postgresql -U '{}' -d '{}' -S '{}' --start --no-loop",
            self.user, self.database, self.slot
        );
        for option in &self.options {
            command.push(' ');
            command.push_str(option);
        }
        command.push_str(&format!(" -f '{}'", self.output));
        command
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pgoutput_reader_names_its_publication_after_the_connection() {
        let command = Recvlogical::new("postgres", "s_db", "s_db_slot")
            .option("-s 1 -F 1")
            .pgoutput("s_db_pub")
            .output("/tmp/out")
            .command();
        assert_eq!(
            command,
            "pg_recvlogical -h /var/run/postgresql -U 'postgres' -d 's_db' -S 's_db_slot' --start \
             --no-loop -s 1 -F 1 -o proto_version=1 -o publication_names='s_db_pub' -f '/tmp/out'"
        );
    }
}
