// The page's theme: `data-theme` on <html> picks the colour variables in app.css. 'system'
// follows the OS and keeps following it while the page is open.
import type { Settings } from '../../../shared/api.ts';

type Theme = Settings['theme'];

const dark = () => window.matchMedia('(prefers-color-scheme: dark)');
let current: Theme = 'system';
let listening = false;

function paint(): void {
  const resolved = current === 'system' ? (dark().matches ? 'dark' : 'light') : current;
  document.documentElement.dataset.theme = resolved;
}

export function applyTheme(theme: Theme): void {
  current = theme;
  if (!listening) {
    dark().addEventListener('change', paint);
    listening = true;
  }
  paint();
}
