// Text from model output, labels and notes placed in a Markdown export. A viewer that renders
// HTML inside Markdown would run a reply's `<script>` or `<img onerror>`, and follow its
// `[x](javascript:...)`: tags and character references are escaped, and links keep only safe
// schemes. Everything else stays as written, so the file still reads as the reply did.

const SAFE_SCHEMES = /^(https?|mailto):/i;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** A link destination that a viewer may follow: relative, #anchor, http(s) or mailto. */
const safeDestination = (url: string) => !SCHEME.test(url) || SAFE_SCHEMES.test(url);

/** Model output as Markdown text: no raw HTML, no javascript:/data:/vbscript:/file: links. */
export function mdText(text: string): string {
  return (
    text
      // a character reference could spell "<" or a scheme; "&" alone stays readable
      .replace(/&(?=#?[a-z0-9]+;)/gi, '&amp;')
      .replace(/</g, '&lt;')
      // inline links and images "](dest)", and reference definitions "[x]: dest"
      .replace(/(\]\s*\(\s*)([^\s]*)/g, (all, open: string, rest: string) => {
        const dest = inlineDestination(rest);
        return safeDestination(dest) ? all : `${open}#unsafe-link-removed${rest.slice(dest.length)}`;
      })
      .replace(/^(\s{0,3}\[[^\]\n]*\]:\s*)(\S*)/gm, (all, open: string, dest: string) => (safeDestination(dest) ? all : `${open}#unsafe-link-removed`))
  );
}

/** The destination at the start of `text` as CommonMark reads it: up to a ")" that closes no "(" of its own. */
function inlineDestination(text: string): string {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && depth-- === 0) return text.slice(0, i);
  }
  return text;
}

/** One line of Markdown text (a heading, a list item, a table cell): newlines become spaces. */
export const mdLine = (text: string) => mdText(text.replace(/\s+/g, ' ').trim());

const fenceFor = (text: string, min: number) => '`'.repeat(Math.max(min, ...(text.match(/`+/g) ?? []).map((run) => run.length + 1)));

/** Text shown as code (no HTML, no links inside): a span, or a fenced block when it spans lines. */
export function mdCode(text: string): string {
  if (!/[\r\n]/.test(text)) {
    const fence = fenceFor(text, 1);
    // CommonMark strips one space from each side of a span: pad only where the text needs it
    // (it starts or ends with a backtick or a space), so a plain command copies as it is
    const pad = /^[` ]|[` ]$/.test(text) ? ' ' : '';
    return `${fence}${pad}${text}${pad}${fence}`;
  }
  const fence = fenceFor(text, 3);
  return `\n\n${fence}\n${text}\n${fence}\n`;
}
