#!/usr/bin/env bash
# The console never lets mail-derived bytes drive the terminal: ESC [ 2 J
# and OSC 52 (clipboard write) shown through a view arrive as visible text.
# Colours are used when the terminal has them, and NO_COLOR / --no-color
# turn them off.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../console.sh"

printf '[doctor]\nprobe_address = AA\033[2JBB\033]52;c;aGFja2Vk\aCC\n' >"$TMP/hostile.conf"

console_start 100 30
console_run -c "$TMP/hostile.conf"
expect_screen "console_opens" '^ 1 Overview  2 Aliases  3 Cache'
keys :
keys_literal 'config show doctor.probe_address'
keys Enter
expect_screen "pager_shows_escape_as_text" 'AA\\x1b\[2JBB\\x1b\]52;c;aGFja2Vk\\x07CC'
expect_screen "screen_not_cleared_by_view" '^:config show doctor.probe_address'
if [ -z "$(tm list-buffers 2>/dev/null)" ]; then
	ok "osc52_did_not_set_clipboard"
else
	not_ok "osc52_did_not_set_clipboard" "$(tm list-buffers)"
fi
raw=$(screen -e)
if printf '%s' "$raw" | grep -q 'aGFja2Vk'; then ok "osc52_payload_visible"; else not_ok "osc52_payload_visible" "$raw"; fi

# Colours: the tab bar has a background colour in a colour terminal.
if printf '%s' "$raw" | grep -qE $'\e\\[[0-9;]*4[0-7][;m]'; then ok "colour_used_by_default"; else not_ok "colour_used_by_default" "$(printf '%s' "$raw" | head -2 | od -c | head)"; fi
keys q q
expect_screen "quit_after_pager" '^EXIT=0$'

console_stop
console_start 100 30 NO_COLOR=1
console_run ""
expect_screen "no_color_console_opens" '^ 1 Overview  2 Aliases  3 Cache'
raw=$(screen -e)
if printf '%s' "$raw" | grep -qE $'\e\\[[0-9;]*[34][0-7][;m]'; then not_ok "no_color_env_turns_colours_off" "$(printf '%s' "$raw" | head -2 | od -c | head)"; else ok "no_color_env_turns_colours_off"; fi
if printf '%s' "$raw" | grep -qE $'\e\\[[0-9;]*7m'; then ok "monochrome_uses_reverse_for_tab_bar"; else not_ok "monochrome_uses_reverse_for_tab_bar" "$raw"; fi
keys q
expect_screen "no_color_quits" '^EXIT=0$'

console_stop
console_start 100 30
console_run --no-color
expect_screen "no_color_option_console_opens" '^ 1 Overview  2 Aliases  3 Cache'
raw=$(screen -e)
if printf '%s' "$raw" | grep -qE $'\e\\[[0-9;]*[34][0-7][;m]'; then not_ok "no_color_option_turns_colours_off" "$raw"; else ok "no_color_option_turns_colours_off"; fi
keys q
expect_screen "no_color_option_quits" '^EXIT=0$'

done_testing
