// A list of buttons as one stop of the Tab key: the arrow keys (and Home, End) move between its
// items, Tab leaves it. So a keyboard user passes a list of hundreds of diffs in one key press.
// The item that takes the focus on entering is the chosen one (aria-pressed / aria-current), else
// the first.

const ITEM = 'button.item';

/** The items a person can reach now: not inside a folded part (a closed comparison). */
function items(list: HTMLElement): HTMLButtonElement[] {
  return [...list.querySelectorAll<HTMLButtonElement>(ITEM)].filter((b) => !b.closest('[hidden]'));
}

/** One item keeps tabindex 0: the focused one, else the chosen one, else the first. */
function settle(list: HTMLElement): void {
  const all = items(list);
  for (const b of list.querySelectorAll<HTMLButtonElement>(ITEM)) b.tabIndex = -1;
  const active = document.activeElement;
  const keep =
    all.find((b) => b === active) ?? all.find((b) => b.getAttribute('aria-pressed') === 'true' || b.getAttribute('aria-current') === 'true') ?? all[0];
  for (const b of all) b.tabIndex = b === keep ? 0 : -1;
}

export function rovingList(list: HTMLElement) {
  const onkeydown = (e: KeyboardEvent) => {
    const all = items(list);
    const at = all.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const to = e.key === 'ArrowDown' ? at + 1 : e.key === 'ArrowUp' ? at - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? all.length - 1 : null;
    if (to === null) return;
    e.preventDefault();
    all[Math.max(0, Math.min(all.length - 1, to))]?.focus();
  };
  const onfocusin = () => settle(list);
  // Items come and go (filters, new imports) and change state (attached, current).
  const observer = new MutationObserver(() => settle(list));
  observer.observe(list, { childList: true, subtree: true, attributes: true, attributeFilter: ['aria-pressed', 'aria-current', 'hidden'] });
  list.addEventListener('keydown', onkeydown);
  list.addEventListener('focusin', onfocusin);
  settle(list);
  return {
    destroy() {
      observer.disconnect();
      list.removeEventListener('keydown', onkeydown);
      list.removeEventListener('focusin', onfocusin);
    },
  };
}
