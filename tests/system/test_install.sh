#!/usr/bin/env bash
# test_install.sh — `cmake --install` into a staging root (DESTDIR) puts every file where
# cds-hooks/system/CMakeLists.txt says (build/system/install-paths.sh), the installed program
# accepts the installed configuration, a reinstall keeps an edited configuration file, and
# `systemd-analyze verify` passes on the installed unit (its ExecStart pointed into the staging
# root, where the program is; the man page of Documentation= found there too), while a copy whose
# program is missing fails. `systemd-analyze security --offline` must rate the unit's exposure
# 2.0 or lower. Exit 77 (SKIP) only when systemd-analyze is absent, after everything else passed.
# Usage: test_install.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=$1 source=$2
# shellcheck source=/dev/null
. "$build/system/install-paths.sh"
root=$(mktemp -d "${TMPDIR:-/tmp}/cds-install-XXXXXX")
passed=0 failed=0
check() { # check DESCRIPTION COMMAND...: one assertion
	local what=$1
	shift
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what" >&2; fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && rm -rf "$root"
	[ "$failed" -eq 0 ] || exit 1
	exit "${1:-0}"
}

DESTDIR="$root" cmake --install "$build" >"$root.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || cat "$root.log" >&2
check "cmake --install with DESTDIR succeeds (rc $rc)" test "$rc" -eq 0

# every file where the install paths say
check "the program is installed and runs" test -x "$root$BINARY"
check "the unit is installed" test -f "$root$UNIT"
check "the man page is installed" test -f "$root$MAN_PAGE"
check "the example configuration is installed" test -f "$root$EXAMPLE_CONFIG"
check "the configuration file is installed" test -f "$root$CONFIG"
check "the configuration file is the example" cmp -s "$root$EXAMPLE_CONFIG" "$root$CONFIG"
missing=0
while IFS= read -r -d '' f; do
	rel=${f#"$source/policies/"}
	cmp -s "$f" "$root$POLICIES_DIR/$rel" || { echo "not installed alike: $rel" >&2; missing=$((missing + 1)); }
done < <(find "$source/policies" -type f \( -name '*.json' -o -name '*.csv' \) -print0)
check "every policy, value set and vocabulary file is installed unchanged ($missing not)" test "$missing" -eq 0
check "the unit names the installed program" grep -qx "ExecStart=$BINARY serve --config \${CDS_CONFIG} --policies \${CDS_POLICIES}" "$root$UNIT"
check "the unit names the installed policies" grep -qx "Environment=CDS_POLICIES=$POLICIES_DIR" "$root$UNIT"
check "the unit names the installed configuration" grep -qx "Environment=CDS_CONFIG=$CONFIG" "$root$UNIT"
check "no @placeholder@ is left in the unit or the man page" \
	bash -c '! grep -q "@[A-Z_]*@" "$1" "$2"' _ "$root$UNIT" "$root$MAN_PAGE"
check "the installed program is the built one" \
	bash -c '[ "$("$1" --version)" = "$("$2" --version)" ]' _ "$root$BINARY" "$build/cds-commissioning"

# the installed program accepts the installed configuration, as the unit starts it
check "check --policies (installed) --config (installed) passes" \
	"$root$BINARY" check --policies "$root$POLICIES_DIR" --config "$root$CONFIG" >/dev/null

# a reinstall keeps the administrator's configuration file
sed -i 's/"name": "demo"/"name": "edited-by-the-administrator"/' "$root$CONFIG"
check "the test edited the configuration" grep -q edited-by-the-administrator "$root$CONFIG"
DESTDIR="$root" cmake --install "$build" >"$root.log" 2>&1
check "a second install succeeds" test $? -eq 0
check "a second install keeps the edited configuration" grep -q edited-by-the-administrator "$root$CONFIG"
check "a second install says it kept it" grep -q "Kept (already there): $root$CONFIG" "$root.log"
rm -f "$root.log"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze is not installed (Debian package systemd): the unit was not" \
		"verified; everything else passed" >&2
	finish 77
fi
# systemd-analyze verify checks that ExecStart's program exists and that Documentation='s man
# page opens: point ExecStart into the staging root and MANPATH at its man folder.
mkdir -p "$root/verify" "$root/missing"
unit=$(basename "$UNIT")
sed "s|^ExecStart=$BINARY |ExecStart=$root$BINARY |" "$root$UNIT" >"$root/verify/$unit"
check "the verified copy runs the staged program" grep -q "^ExecStart=$root$BINARY " "$root/verify/$unit"
out=$(MANPATH="$root$MAN_DIR:" systemd-analyze verify "$root/verify/$unit" 2>&1)
rc=$?
check "systemd-analyze verify passes with nothing to say (rc $rc): $out" \
	test "$rc" -eq 0 -a -z "$out"
# the same check fails when the program is not there (so the pass above means something)
cp "$root$UNIT" "$root/missing/$unit"
sed -i "s|^ExecStart=$BINARY |ExecStart=$root/missing$BINARY |" "$root/missing/$unit"
out=$(MANPATH="$root$MAN_DIR:" systemd-analyze verify "$root/missing/$unit" 2>&1)
rc=$?
check "systemd-analyze verify fails without the program (rc $rc)" \
	bash -c '[ "$1" -ne 0 ] && grep -q "is not executable" <<<"$2"' _ "$rc" "$out"
out=$(systemd-analyze security --offline=yes --threshold=20 --no-pager "$root/verify/$unit" 2>&1)
rc=$?
check "systemd-analyze security: exposure 2.0 or lower (rc $rc): $(tail -1 <<<"$out")" test "$rc" -eq 0
finish 0
