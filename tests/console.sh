# tests/console.sh: the console test driver, sourced after tests/lib.sh.
# Starts the real binary in a private tmux server (its own socket), types
# with send-keys and reads the screen with capture-pane. Pinned: TERM, size
# and locale.
TMUX_SOCK=
TMUX_N=0
tm() { tmux -L "$TMUX_SOCK" -f /dev/null "$@"; }

# console_start COLS ROWS [ENV=VALUE...]: a shell in a pane, then mailops in it.
# The shell prints EXIT=<status> and the terminal modes when mailops exits.
# Each start gets a server of its own: a server still shutting down must not
# be reused.
console_start() {
	local cols=$1 rows=$2
	shift 2
	TMUX_N=$((TMUX_N + 1))
	TMUX_SOCK="mailops-$$-$TMUX_N"
	at_exit tmux -L "$TMUX_SOCK" kill-server
	tm new-session -d -s t -x "$cols" -y "$rows" \
		"env -i PATH=$PATH HOME=$HOME LC_ALL=C.UTF-8 TERM=tmux-256color PS1='$ ' $* bash --norc --noprofile"
	tm set -g status off
	tm set -g set-clipboard on
	screen_wait '\$' 5 >/dev/null
}
console_stop() { tm kill-server 2>/dev/null; }
# console_run ARGS: runs mailops with ARGS in the pane.
console_run() {
	tm send-keys -t t -l "clear; $MAILOPS $*; echo EXIT=\$?; stty -a | tr ' ;' '\n\n' | grep -xE -- '-?(echo|icanon)' | tr '\n' ' '; echo"
	tm send-keys -t t Enter
}
screen() { tm capture-pane -t t -p "$@"; }
# screen_wait REGEX [SECONDS]: waits until the screen matches; prints it.
screen_wait() {
	local re=$1 secs=${2:-5} i s
	for ((i = 0; i < secs * 20; i++)); do
		s=$(screen)
		if printf '%s' "$s" | grep -qE -- "$re"; then
			printf '%s' "$s"
			return 0
		fi
		sleep 0.05
	done
	printf '%s' "$s"
	return 1
}
# expect_screen NAME REGEX [SECONDS]
expect_screen() {
	local s
	if s=$(screen_wait "$2" "${3:-5}"); then ok "$1"; else not_ok "$1" "screen never matched /$2/:" "$s"; fi
}
# expect_no_screen NAME REGEX: the screen (now, after a short settle) does not match.
expect_no_screen() {
	sleep 0.3
	local s
	s=$(screen)
	if printf '%s' "$s" | grep -qE -- "$2"; then not_ok "$1" "screen matched /$2/:" "$s"; else ok "$1"; fi
}
keys() { tm send-keys -t t "$@"; }
keys_literal() { tm send-keys -t t -l "$@"; }
