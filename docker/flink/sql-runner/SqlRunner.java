package cdcharness;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;

/**
 * Runs a Flink SQL script where no SQL Gateway exists: submitted through the JobManager's REST API
 * (POST /jars/upload, then POST /jars/{id}/run with programArgsList). Arguments: one of
 * {@code --sql-base64 <UTF-8 script, base64>}, {@code --sql <script>} or {@code --sql-file <path>}.
 * SET goes into the table configuration (executeSql does not take it), DDL and every other
 * statement run in order with executeSql; all INSERTs go into one StatementSet, executed without
 * waiting, so the REST call returns one job id.
 */
public final class SqlRunner {
    /** {@code SET 'key' = 'value'}, quotes optional, '' escapes a quote. */
    private static final Pattern SET = Pattern.compile(
            "SET\\s+('((?:[^']|'')*)'|[^\\s=]+)\\s*=\\s*('((?:[^']|'')*)'|\\S+)",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern EXECUTE_SET =
            Pattern.compile("^EXECUTE\\s+STATEMENT\\s+SET\\s+BEGIN\\s+", Pattern.CASE_INSENSITIVE);

    public static void main(String[] args) throws Exception {
        List<String> statements = split(script(args));
        TableEnvironment tableEnv = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        StatementSet inserts = tableEnv.createStatementSet();
        int insertCount = 0;
        for (String statement : statements) {
            // "EXECUTE STATEMENT SET BEGIN INSERT ...; INSERT ...; END" splits into INSERTs too.
            statement = EXECUTE_SET.matcher(statement).replaceFirst("");
            String head = statement.replaceAll("\\s+", " ").toUpperCase(Locale.ROOT);
            if (head.startsWith("INSERT ")) {
                inserts.addInsertSql(statement);
                insertCount++;
            } else if (head.startsWith("SET ")) {
                Matcher set = SET.matcher(statement);
                if (!set.matches()) throw new IllegalArgumentException("cannot read SET statement: " + statement);
                String key = set.group(2) != null ? set.group(2).replace("''", "'") : set.group(1);
                String value = set.group(4) != null ? set.group(4).replace("''", "'") : set.group(3);
                System.out.println("cdc-harness sql-runner: SET '" + key + "'");
                tableEnv.getConfig().set(key, value);
            } else if (head.equals("BEGIN STATEMENT SET") || head.equals("END")) {
                continue; // INSERTs are collected into one statement set anyway.
            } else if (head.startsWith("SELECT ") || head.startsWith("EXECUTE ") || head.startsWith("RESET")) {
                throw new IllegalArgumentException("the SQL runner does not run this statement: " + statement);
            } else {
                // Only the statement's first words: its WITH options may hold a password.
                String[] words = head.split("[ (]", 4);
                System.out.println("cdc-harness sql-runner: " + String.join(" ", Arrays.copyOf(words, Math.min(3, words.length))));
                tableEnv.executeSql(statement);
            }
        }
        if (insertCount == 0) {
            throw new IllegalArgumentException("the SQL script has no INSERT statement, so there is no job to submit");
        }
        TableResult result = inserts.execute();
        String jobId = result.getJobClient().map(c -> c.getJobID().toString()).orElse("unknown");
        System.out.println("cdc-harness sql-runner: submitted " + insertCount + " INSERT(s) as job " + jobId);
    }

    private static String script(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("--sql-base64")) {
            return new String(Base64.getDecoder().decode(args[1].trim()), StandardCharsets.UTF_8);
        } else if (args.length == 2 && args[0].equals("--sql")) {
            return args[1];
        } else if (args.length == 2 && args[0].equals("--sql-file")) {
            return Files.readString(Path.of(args[1]), StandardCharsets.UTF_8);
        }
        throw new IllegalArgumentException("usage: (--sql-base64 <base64> | --sql <script> | --sql-file <path>)");
    }

    /** Splits on ';' outside quotes, identifiers and comments; comments are dropped. */
    static List<String> split(String sql) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int i = 0;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (c == '\'' || c == '"' || c == '`') {
                int end = i + 1;
                while (end < sql.length()) { // a doubled quote is an escaped quote
                    if (sql.charAt(end) == c && !(end + 1 < sql.length() && sql.charAt(end + 1) == c)) break;
                    end += sql.charAt(end) == c ? 2 : 1;
                }
                current.append(sql, i, Math.min(end + 1, sql.length()));
                i = end + 1;
            } else if (sql.startsWith("--", i)) {
                int end = sql.indexOf('\n', i);
                i = end < 0 ? sql.length() : end;
            } else if (sql.startsWith("/*", i)) {
                int end = sql.indexOf("*/", i + 2);
                current.append(' ');
                i = end < 0 ? sql.length() : end + 2;
            } else if (c == ';') {
                add(statements, current);
                i++;
            } else {
                current.append(c);
                i++;
            }
        }
        add(statements, current);
        return statements;
    }

    private static void add(List<String> statements, StringBuilder current) {
        String statement = current.toString().trim();
        if (!statement.isEmpty()) statements.add(statement);
        current.setLength(0);
    }
}
