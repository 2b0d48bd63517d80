/** Every keyboard shortcut of the timeline, as the `?` help lists them (Perfetto's where it has one). */
export const SHORTCUTS: readonly { keys: string; does: string }[] = [
  { keys: 'W / S', does: 'zoom in / out (also + and −)' },
  { keys: 'A / D', does: 'pan left / right (also Shift+← / Shift+→)' },
  { keys: '↑ / ↓', does: 'move to the lane above / below' },
  { keys: 'Enter', does: 'select the event just stepped to (←/→, Home/End, a link); after ↑/↓ or a click, what is at the cursor in this lane; on a group, fold or open it' },
  { keys: '← / →', does: 'step the cursor to the previous / next event' },
  { keys: 'Home / End', does: 'first / last event' },
  { keys: 'f', does: 'fit the view to the selection' },
  { keys: 'm', does: 'mark: a bookmark at the cursor' },
  { keys: 'p', does: 'pin this lane to the top (again: unpin)' },
  { keys: '0', does: 'fit the whole run' },
  { keys: 'Esc', does: 'clear the selection, or close this help' },
  { keys: '?', does: 'show or hide this list' },
];
