#!/usr/bin/env bash
# Entrypoint of cdc-harness's local Flink image. It accepts what the official image's entrypoint
# accepts, so the harness starts either image the same way:
#   IMAGE jobmanager [-Dkey=value ...]    a session cluster's JobManager (REST on 8081, RPC on 6123)
#   IMAGE taskmanager [-Dkey=value ...]   a TaskManager registering with JOB_MANAGER_RPC_ADDRESS
#   IMAGE help | IMAGE <any command>      usage, or the command run as is
# Environment, as in the official image:
#   JOB_MANAGER_RPC_ADDRESS            default: this container's host name
#   TASK_MANAGER_NUMBER_OF_TASK_SLOTS  taskmanager.numberOfTaskSlots
#   FLINK_PROPERTIES                   "key: value" lines merged into conf/config.yaml. As in the
#                                      official image all whitespace is removed from each line
#                                      ("1000 ms" becomes "1000ms"); pass a value that needs its
#                                      spaces as a -Dkey=value argument after the command instead.
#   FLINK_ENV_JAVA_OPTS                extra JVM options
# The official image runs bin/jobmanager.sh etc.; the PyPI runtime has no scripts, so this script
# does what they do: merge the configuration, compute the memory flags with BashJavaUtils, add the
# Java 17 module flags (Flink's env.java.opts.all) and start the Java entry class.
set -Eeuo pipefail

FLINK_HOME="${FLINK_HOME:-/opt/flink}"
CONF_DIR="$FLINK_HOME/conf"
JOB_MANAGER_RPC_ADDRESS="${JOB_MANAGER_RPC_ADDRESS:-$(hostname -f)}"

# Without these, the cluster starts but the first job fails with InaccessibleObjectException.
JAVA17_OPTS=(
    --add-exports=java.base/sun.net.util=ALL-UNNAMED
    --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
    --add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED
    --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
    --add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED
    --add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED
    --add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED
    --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
    --add-opens=java.base/java.lang=ALL-UNNAMED
    --add-opens=java.base/java.net=ALL-UNNAMED
    --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/java.nio=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
    --add-opens=java.base/java.text=ALL-UNNAMED
    --add-opens=java.base/java.time=ALL-UNNAMED
    --add-opens=java.base/java.util=ALL-UNNAMED
    --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
    --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
    --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)

flink_dist_jar() {
    local jars=("$FLINK_HOME"/lib/flink-dist*.jar)
    echo "${jars[0]}"
}

# Every jar in lib/, flink-dist last, as the distribution's config.sh builds it.
flink_classpath() {
    local cp="" jar
    for jar in "$FLINK_HOME"/lib/*.jar; do
        case "$jar" in
            */flink-dist*) ;;
            *) cp="$cp$jar:" ;;
        esac
    done
    echo "$cp$(flink_dist_jar)"
}

# BashJavaUtils COMMAND [-Dkey=value ...]: prints the command's result lines.
bash_java_utils() {
    local cmd="$1" out
    shift
    # A short-lived JVM: C1 only and the serial collector start it ~0.5 s sooner.
    if ! out="$(java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
            -cp "$FLINK_HOME/bin/bash-java-utils.jar:$(flink_dist_jar)" \
            org.apache.flink.runtime.util.bash.BashJavaUtils "$cmd" --configDir "$CONF_DIR" "$@" 2>&1)"; then
        echo "error: BashJavaUtils $cmd failed:" >&2
        echo "$out" >&2
        exit 1
    fi
    printf '%s\n' "$out" | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p'
}

# Rewrites conf/config.yaml with the given -Dkey=value settings applied.
update_configuration() {
    local merged
    merged="$(bash_java_utils UPDATE_AND_GET_FLINK_CONFIGURATION "$@")"
    printf '%s\n' "$merged" > "$CONF_DIR/config.yaml"
}

prepare_configuration() {
    local settings=(
        "-Djobmanager.rpc.address=$JOB_MANAGER_RPC_ADDRESS"
        "-Dblob.server.port=6124"
        "-Dquery.server.port=6125"
    )
    if [ -n "${TASK_MANAGER_NUMBER_OF_TASK_SLOTS:-}" ]; then
        settings+=("-Dtaskmanager.numberOfTaskSlots=$TASK_MANAGER_NUMBER_OF_TASK_SLOTS")
    fi
    local line key value
    while IFS= read -r line; do
        line="$(printf '%s' "$line" | tr -d '[:space:]')"
        [ -n "$line" ] || continue
        IFS=':' read -r key value <<< "$line"
        value="$(printf '%s' "$value" | envsubst)"
        settings+=("-D$key=$value")
    done <<< "${FLINK_PROPERTIES:-}"
    # Later settings win, so FLINK_PROPERTIES overrides the defaults above.
    update_configuration "${settings[@]}"
}

# run_component JM|TM MAIN_CLASS [-Dkey=value ...]
run_component() {
    local kind="$1" main_class="$2"
    shift 2
    local params=() jvm_params=() dynamic_params=()
    mapfile -t params < <(bash_java_utils "GET_${kind}_RESOURCE_PARAMS" "$@")
    # Line 1: heap and metaspace flags; line 2: the derived memory settings as -D options.
    read -r -a jvm_params <<< "${params[0]:-}"
    read -r -a dynamic_params <<< "${params[1]:-}"
    local extra_opts=()
    read -r -a extra_opts <<< "${FLINK_ENV_JAVA_OPTS:-}"

    local name
    name="$(echo "$kind" | tr 'JT' 'jt')"
    local command=(java "${JAVA17_OPTS[@]}" "${jvm_params[@]}" "${extra_opts[@]}"
        "-Dlog.file=$FLINK_HOME/log/flink-${name}-$(hostname).log"
        "-Dlog4j.configuration=file:$CONF_DIR/log4j-console.properties"
        "-Dlog4j.configurationFile=file:$CONF_DIR/log4j-console.properties"
        -classpath "$(flink_classpath)" "$main_class"
        --configDir "$CONF_DIR" "${dynamic_params[@]}" "$@")

    if [ "$(id -u)" = 0 ]; then
        chown -R flink:flink "$CONF_DIR" "$FLINK_HOME/log"
        exec setpriv --reuid=flink --regid=flink --init-groups "${command[@]}"
    fi
    exec "${command[@]}"
}

case "${1:-help}" in
    help)
        echo "Usage: $(basename "$0") (jobmanager|taskmanager) [-Dkey=value ...]"
        echo "    Or $(basename "$0") help | <command> [args]"
        echo "This image (cdc-harness, local build of Flink $(basename "$(flink_dist_jar)" .jar | sed 's/flink-dist-//')) has no SQL Gateway;"
        echo "submit SQL with /opt/cdc-harness/sql-runner.jar."
        exit 0
        ;;
    jobmanager)
        shift
        prepare_configuration
        echo "Starting Job Manager"
        run_component JM org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint "$@"
        ;;
    taskmanager)
        shift
        prepare_configuration
        echo "Starting Task Manager"
        run_component TM org.apache.flink.runtime.taskexecutor.TaskManagerRunner "$@"
        ;;
    standalone-job | history-server)
        echo "error: '$1' is not supported by cdc-harness's local Flink image (only jobmanager and taskmanager)" >&2
        exit 1
        ;;
    *)
        exec "$@"
        ;;
esac
