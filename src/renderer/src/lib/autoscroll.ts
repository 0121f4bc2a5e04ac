// Keeps a scrolling container pinned to its bottom while content grows (streamed tokens), unless
// the person has scrolled up to read. A Svelte attachment: {@attach autoscroll}.
export function autoscroll(node: HTMLElement): () => void {
  let pinned = true;
  const nearBottom = () => node.scrollHeight - node.scrollTop - node.clientHeight < 48;
  const onScroll = () => (pinned = nearBottom());
  const observer = new MutationObserver(() => {
    if (pinned) node.scrollTop = node.scrollHeight;
  });
  node.addEventListener('scroll', onScroll, { passive: true });
  observer.observe(node, { childList: true, subtree: true, characterData: true });
  return () => {
    observer.disconnect();
    node.removeEventListener('scroll', onScroll);
  };
}
