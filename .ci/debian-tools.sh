# Debian tools that builds need and pip cannot install, shared by .ci/run and the main job
# (examples/openblas/run.sh). Source it, then: ensure_tools PROGRAM:PACKAGE...
# As root with apt-get, what is missing is installed; otherwise the command that would is named.
ensure_tools() {
  local missing=() tool
  for tool in "$@"; do
    case "${tool%%:*}" in
      */*) [ -e "${tool%%:*}" ] || missing+=("${tool##*:}") ;;
      *) command -v "${tool%%:*}" >/dev/null || missing+=("${tool##*:}") ;;
    esac
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${missing[*]} with apt-get"
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  else
    echo "missing ${missing[*]}; install them (Debian/Ubuntu: sudo apt-get install ${missing[*]})" >&2
    return 1
  fi
}
