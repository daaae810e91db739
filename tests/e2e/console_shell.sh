#!/usr/bin/env bash
# The console shell driven in tmux: tab bar, digit and Tab keys, '?' help
# with its filter, ':help' into the pager, usage errors in the status line,
# a live resize to 60x20 and back, 200x50, and q leaving the terminal sane;
# long ':' input, Ctrl-C (cancels, else quits), SIGTERM/SIGHUP/SIGQUIT.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../console.sh"

# The Aliases tab (2) reads a db that is not there: its header says so.
printf '[aliases]\ndb = %s/none.db\n[cache]\nservers = 127.0.0.1:1\n' "$TMP" >"$TMP/shell.conf"
console_start 80 24
console_run -c "$TMP/shell.conf"

expect_screen "tab_bar_shows_six_tabs" '^ 1 Overview  2 Aliases  3 Cache  4 Callahead  5 ARF  6 Benford +mailops ?$'
expect_screen "first_tab_is_overview" '^CHECK +TARGET +STATUS'
keys 2
expect_screen "digit_2_selects_aliases" 'none.db: no such file'
keys 3
expect_screen "digit_3_selects_cache" '^1 server, 0 up, DOWN: 127.0.0.1:1: Connection refused'
keys 6
expect_screen "digit_6_selects_benford" 'No source: set \[benford\] sources'
keys Tab
expect_screen "tab_wraps_to_first" '^CHECK +TARGET +STATUS'
keys BTab
expect_screen "shift_tab_goes_back" 'No source: set \[benford\] sources'
keys 9
expect_screen "digit_past_last_tab_ignored" 'No source: set \[benford\] sources'
keys 4
expect_screen "digit_4_selects_callahead" '^0 checks, 0 running'

# '?' opens the help list generated from the key table.
keys '?'
expect_screen "help_lists_keys" 'go to tab N'
expect_screen "help_has_column_heads" 'Keys +Where +Action'
keys / ; keys_literal pager
expect_screen "help_filter_prompt_shows_word" '^/pager'
expect_screen "help_filter_narrows_rows_as_typed" 'pager +close the pager'
expect_no_screen "help_filter_hides_other_rows" 'go to tab N'
keys Enter
expect_screen "filter_kept_after_enter" 'filter: pager'
keys Escape
keys /
keys Escape
expect_screen "escape_in_filter_prompt_restores" 'filter: pager'
keys / ; keys C-u ; keys Enter
expect_screen "empty_filter_shows_all" 'go to tab N'
keys G
expect_screen "G_goes_to_last_row" '^([0-9]+)/\1 +\?:help'
keys g
expect_screen "g_goes_to_first_row" '^1/[0-9]+ +\?:help'
keys j j
expect_screen "j_moves_down" '^3/[0-9]+ +\?:help'
keys k
expect_screen "k_moves_up" '^2/[0-9]+ +\?:help'
keys s
expect_screen "s_sorts_by_first_column" 'Keys \^'
keys S
expect_screen "S_reverses_sort" 'Keys v'
keys q
expect_screen "q_closes_help" '^0 checks, 0 running'

# ':' runs a batch command through the same parser, into the pager.
keys :
keys_literal help
keys Enter
expect_screen "colon_help_opens_pager" 'mailops: a console for postmasters'
expect_screen "pager_title_shows_command" '^:help'
keys /
keys_literal 'Exit codes'
keys Enter
expect_screen "pager_search_finds_text" '^Exit codes'
keys q
expect_screen "q_closes_pager" '^0 checks, 0 running'
keys :
keys_literal 'benford x.mbox'
keys Enter
expect_screen "prompt_verb_error_reports_exit_code" 'exit 66: mailops: x.mbox: No such file'
keys :
keys_literal nosuch
keys Enter
expect_screen "prompt_usage_error_in_status_line" "unknown command 'nosuch'; did you mean"
keys : ; keys_literal 'help' ; keys Escape
expect_no_screen "escape_cancels_prompt" 'console for postmasters'
keys : ; keys Up
expect_screen "prompt_history_recalls_last" '^:nosuch$'
keys Up Up
expect_screen "prompt_history_goes_back" '^:help$'
keys Enter
expect_screen "history_entry_runs" 'mailops: a console for postmasters'
keys q

# Live resize to 60x20 and back.
tm resize-window -t t -x 60 -y 20
expect_screen "resize_60x20_redraws_tab_bar" '^ 1 Overview  2 Aliases  3 Cache  4 Callahead  5 ARF  6 Benf…$'
expect_eq "resize_60x20_pane_size" "60x20" "$(tm display -p -t t '#{pane_width}x#{pane_height}')"
expect_screen "resize_60x20_status_line" '^1?[^ ]*.*\?:help|Callahead' 
tm resize-window -t t -x 80 -y 24
expect_screen "resize_back_to_80x24" '^ 1 Overview  2 Aliases  3 Cache  4 Callahead  5 ARF  6 Benford +mailops ?$'
last=$(screen | sed -n 24p)
expect_match "status_line_on_last_row_after_resize" '\?:help  ::command  q:quit|unknown command' "$last"

# q leaves the terminal restored: shell back, echo and icanon on.
keys q
expect_screen "q_quits_with_exit_0" '^EXIT=0$'
expect_screen "terminal_modes_restored" '^icanon echo ?$'
expect_no_screen "tab_bar_gone_after_quit" 'Callahead is not built yet'

# 200x50: same screen, wider.
console_stop
console_start 200 50
console_run ""
expect_screen "wide_200x50_tab_bar" '^ 1 Overview  2 Aliases  3 Cache .* +mailops ?$'
last=$(screen | sed -n 50p)
expect_match "wide_200x50_status_on_row_50" '\?:help  ::command  q:quit$' "$last"

# SIGTERM while open: terminal restored, exit 143.
pid=$(pgrep -n -f "^$MAILOPS")
kill -TERM "$pid"
expect_screen "sigterm_exits_143" '^EXIT=143$'
expect_screen "sigterm_restores_terminal" '^icanon echo ?$'
expect_eq "sigterm_leaves_alternate_screen" "0 1 0" "$(tm display -p -t t '#{alternate_on} #{cursor_flag} #{keypad_cursor_flag}')"

# A ':' line longer than the screen: the window follows the cursor, the
# text before it is marked cut, and Home shows the start again.
console_stop
console_start 80 24
console_run -c "$TMP/shell.conf"
expect_screen "console_open_for_long_prompt" '^CHECK +TARGET +STATUS'
long="$(printf 'a%.0s' $(seq 1 105))TAIL_67890"
keys :
keys_literal "$long"
expect_screen "long_prompt_shows_tail_at_cursor" '^:…a+TAIL_67890 *$'
expect_eq "long_prompt_cursor_on_screen" 78 "$(tm display -p -t t '#{cursor_x}')"
keys Home
expect_screen "long_prompt_home_shows_start" '^:a{78}…$'
expect_eq "long_prompt_home_cursor_at_start" 1 "$(tm display -p -t t '#{cursor_x}')"
keys End BSpace
expect_screen "long_prompt_end_edits_tail" '^:…a+TAIL_6789 *$'
keys Escape

# Ctrl-C cancels what is open (a prompt, a filter being typed); with
# nothing open it quits with 130, the terminal restored.
keys :
keys_literal 'help'
expect_screen "prompt_open_before_ctrl_c" '^:help$'
keys C-c
expect_no_screen "ctrl_c_cancels_prompt" '^:help'
expect_no_screen "ctrl_c_in_prompt_does_not_quit" '^EXIT='
expect_screen "console_still_open_after_ctrl_c" '^CHECK +TARGET +STATUS'
keys '?' / ; keys_literal pager ; keys Enter
expect_screen "help_filter_kept_before_ctrl_c" 'filter: pager'
keys / ; keys_literal zzz
expect_screen "filter_prompt_open_before_ctrl_c" '^/zzz'
keys C-c
expect_screen "ctrl_c_restores_filter" 'filter: pager'
expect_no_screen "ctrl_c_in_filter_does_not_quit" '^EXIT='
# The help names Ctrl-C, and the keys that used to act unlisted.
keys / C-u ; keys_literal Ctrl ; keys Enter
expect_screen "help_lists_ctrl_c" 'Ctrl-C +everywhere +cancel the prompt or question'
expect_screen "help_lists_ctrl_f" 'PgDn, Space, Ctrl-F +lists'
keys / C-u ; keys_literal Enter ; keys Enter
expect_screen "help_lists_enter_in_pager" 'j, k, Down, Up, Enter +pager'
keys q
keys C-c
expect_screen "ctrl_c_with_nothing_open_exits_130" '^EXIT=130$'
expect_screen "ctrl_c_restores_terminal" '^icanon echo ?$'

# SIGHUP (the terminal went away): 129, as a shell reports it.
console_stop
console_start 80 24
console_run ""
expect_screen "console_open_for_sighup" 'mailops ?$'
kill -HUP "$(pgrep -n -f "^$MAILOPS")"
expect_screen "sighup_exits_129" '^EXIT=129$'
expect_screen "sighup_restores_terminal" '^icanon echo ?$'
expect_eq "sighup_leaves_alternate_screen" "0 1 0" "$(tm display -p -t t '#{alternate_on} #{cursor_flag} #{keypad_cursor_flag}')"

# SIGQUIT (Ctrl-\) dumps core by default: the terminal is restored first.
# No core file is written (ulimit -c 0) in the test's directory.
console_stop
console_start 80 24
keys_literal 'ulimit -c 0'
keys Enter
console_run ""
expect_screen "console_open_for_sigquit" 'mailops ?$'
kill -QUIT "$(pgrep -n -f "^$MAILOPS")"
expect_screen "sigquit_dies_by_the_signal" '^EXIT=131$'
# bash itself resets the modes of a job killed by a signal; what only
# endwin() undoes is the alternate screen, the hidden cursor and the keypad.
expect_eq "sigquit_leaves_alternate_screen" "0 1 0" "$(tm display -p -t t '#{alternate_on} #{cursor_flag} #{keypad_cursor_flag}')"
expect_screen "sigquit_restores_terminal" '^icanon echo ?$'

done_testing
