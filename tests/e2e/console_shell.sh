#!/usr/bin/env bash
# The console shell driven in tmux: tab bar, digit and Tab keys, '?' help
# with its filter, ':help' into the pager, usage errors in the status line,
# a live resize to 60x20 and back, 200x50, and q leaving the terminal sane.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../console.sh"

# The Aliases tab reads a db that is not there: its header says so.
printf '[aliases]\ndb = %s/none.db\n[cache]\nservers = 127.0.0.1:1\n' "$TMP" >"$TMP/shell.conf"
console_start 80 24
console_run -c "$TMP/shell.conf"

expect_screen "tab_bar_shows_five_tabs" '^ 1 Aliases  2 Cache  3 Callahead  4 ARF  5 Benford +mailops ?$'
expect_screen "first_tab_is_aliases" 'none.db: no such file'
keys 2
expect_screen "digit_2_selects_cache" '^1 server, 0 up, DOWN: 127.0.0.1:1: Connection refused'
keys 5
expect_screen "digit_5_selects_benford" 'Benford is not built yet'
keys Tab
expect_screen "tab_wraps_to_first" 'none.db: no such file'
keys BTab
expect_screen "shift_tab_goes_back" 'Benford is not built yet'
keys 9
expect_screen "digit_past_last_tab_ignored" 'Benford is not built yet'
keys 3
expect_screen "digit_3_selects_callahead" 'Callahead is not built yet'

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
expect_screen "q_closes_help" 'Callahead is not built yet'

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
expect_screen "q_closes_pager" 'Callahead is not built yet'
keys :
keys_literal 'benford x.mbox'
keys Enter
expect_screen "not_built_verb_reports_exit_70" 'exit 70: mailops: not implemented'
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
expect_screen "resize_60x20_redraws_tab_bar" '^ 1 Aliases  2 Cache  3 Callahead  4 ARF  5 Benford$'
expect_eq "resize_60x20_pane_size" "60x20" "$(tm display -p -t t '#{pane_width}x#{pane_height}')"
expect_screen "resize_60x20_status_line" '^1?[^ ]*.*\?:help|Callahead' 
tm resize-window -t t -x 80 -y 24
expect_screen "resize_back_to_80x24" '^ 1 Aliases  2 Cache  3 Callahead  4 ARF  5 Benford +mailops ?$'
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
expect_screen "wide_200x50_tab_bar" '^ 1 Aliases  2 Cache .* +mailops ?$'
last=$(screen | sed -n 50p)
expect_match "wide_200x50_status_on_row_50" '\?:help  ::command  q:quit$' "$last"

# SIGTERM while open: terminal restored, exit 143.
pid=$(pgrep -n -f "^$MAILOPS")
kill -TERM "$pid"
expect_screen "sigterm_exits_143" '^EXIT=143$'
expect_screen "sigterm_restores_terminal" '^icanon echo ?$'

done_testing
