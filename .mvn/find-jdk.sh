# Sourced by ./mvnw, ./gatehouse and .ci/run: makes JAVA_HOME point at a JDK >= 21.
# Order: the JAVA_HOME already set (if new enough), then `java` on PATH, then the usual
# install places. Exits with a clear message when none is found.
gatehouse_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
gatehouse_find_jdk() {
  set +f  # callers such as mvnw run with globbing off; this runs in a subshell
  for candidate in "${JAVA_HOME-}" \
      "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")" \
      /usr/lib/jvm/* /usr/local/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(gatehouse_java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}
if ! GATEHOUSE_JDK=$(gatehouse_find_jdk); then
  echo "Gatehouse needs a JDK 21 or newer and found none (JAVA_HOME, java on PATH, /usr/lib/jvm)." >&2
  echo "Install one (e.g. apt-get install openjdk-21-jdk-headless) or set JAVA_HOME." >&2
  exit 1
fi
JAVA_HOME=$GATEHOUSE_JDK
export JAVA_HOME
