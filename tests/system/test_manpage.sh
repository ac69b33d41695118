#!/usr/bin/env bash
# test_manpage.sh — the man page cannot drift from the program: every command that
# `cds-commissioning --help` lists has its own subsection, every option that any
# `cds-commissioning COMMAND --help` prints appears in the page, every option the page names is
# in some --help (none left behind when one is removed), and its version is the program's. Then
# it must render: `groff -man -Tutf8 -ww` without a warning and `man -l` without an error
# (groff-base, man-db). Exit 77 (SKIP) only when groff is absent, after the rest passed.
# Usage: test_manpage.sh BINARY MAN_PAGE (the configured build/system/cds-commissioning.1)
set -uo pipefail
bin=$1 page=$2
passed=0 failed=0
check() { # check DESCRIPTION COMMAND...: one assertion
	local what=$1
	shift
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what" >&2; fi
}
# the page's text with roff's \- as '-', the way a reader sees option names
text=$(sed 's/\\-/-/g' "$page")
options() { grep -o -- '--[a-z][a-z0-9-]*' | sort -u; }
has_option() { grep -qE -- "$1([^a-z0-9-]|\$)" <<<"$2"; } # whole: --threads, not --threads-x

commands=$("$bin" --help | sed -n 's/^  cds-commissioning \([a-z][a-z-]*\) .*/\1/p' | sort -u)
check "--help lists commands" test -n "$commands"
all_help=""
for c in $commands; do
	check "the page has a subsection for '$c'" grep -qx ".SS $c" "$page"
	help=$("$bin" "$c" --help)
	check "'$c --help' works" test -n "$help"
	all_help+="$help"$'\n'
	for o in $(options <<<"$help"); do
		check "'$c --help' option $o is in the page" has_option "$o" "$text"
	done
done
all_help+=$("$bin" --help)
for o in $(options <<<"$text"); do
	check "the page's option $o is in some --help" has_option "$o" "$all_help"
done
version=$("$bin" --version | sed 's/^cds-commissioning //')
check "the page's version is the program's ($version)" \
	grep -q "^\.TH .*\"cds-commissioning $version\"" "$page"

if ! command -v groff >/dev/null 2>&1; then
	echo "$passed passed, $failed failed"
	echo "SKIP: groff is not installed (Debian package groff-base): the page's rendering was" \
		"not checked; the option checks above ran" >&2
	[ "$failed" -eq 0 ] && exit 77
	exit 1
fi
warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
check "groff -man -Tutf8 -ww renders without a warning: $warnings" test -z "$warnings"
if command -v man >/dev/null 2>&1; then
	rendered=$(MANWIDTH=80 man -l "$page" 2>&1)
	rc=$?
	check "man -l renders it (rc $rc)" test "$rc" -eq 0
	check "man -l shows the serve options" grep -q "SERVE OPTIONS" <<<"$rendered"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
