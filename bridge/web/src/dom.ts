// Small DOM helpers, the one place where the page turns data into text. Every text that comes from the feed goes
// through `textContent`, a text node or an attribute setter here: the page never parses data as HTML (and its CSP
// enforces Trusted Types, so `innerHTML = string` would throw).

type Props = { className?: string; text?: string; attrs?: Record<string, string> };

/**
 * Bidirectional controls (embeddings, overrides, isolates, marks). In a text from the feed they would reorder what
 * is around them (U+202E makes `gnp.exe` read `exe.png`), so they are removed from every text and attribute the
 * page writes. A value's own direction is kept, isolated from the page's words by a `<bdi>` where they share a line.
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function withoutBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Node[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = withoutBidiControls(props.text);
  if (props.attrs) for (const [name, value] of Object.entries(props.attrs)) node.setAttribute(name, withoutBidiControls(value));
  if (children.length > 0) node.append(...children);
  return node;
}

export function textNode(text: string): Text {
  return document.createTextNode(withoutBidiControls(text));
}

/**
 * A route or path as text nodes with a line-break opportunity (`<wbr>`) before each inner `/`: a long route wraps
 * between its segments (`/checkout` `/:cart`), not inside a word.
 */
export function pathNodes(path: string): Node[] {
  const nodes: Node[] = [];
  let start = 0;
  for (let slash = path.indexOf('/', 1); slash !== -1; slash = path.indexOf('/', slash + 1)) {
    if (path[slash - 1] === ' ') continue; // "POST /": the line can already break at the space
    nodes.push(textNode(path.slice(start, slash)), el('wbr'));
    start = slash;
  }
  nodes.push(textNode(path.slice(start)));
  return nodes;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string> = {}): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

/** Writes only when the text changed: with a thousand cards per frame, untouched nodes stay untouched. */
export function setText(node: Node, text: string): void {
  const clean = withoutBidiControls(text);
  if (node.textContent !== clean) node.textContent = clean;
}

export function setAttr(node: Element, name: string, value: string): void {
  const clean = withoutBidiControls(value);
  if (node.getAttribute(name) !== clean) node.setAttribute(name, clean);
}

export function toggleClass(node: Element, name: string, on: boolean): void {
  if (node.classList.contains(name) !== on) node.classList.toggle(name, on);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page lacks #${id}`);
  return node as T;
}
