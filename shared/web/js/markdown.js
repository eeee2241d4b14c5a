// A small, safe markdown renderer for chat replies: paragraphs, lists, fenced code, `code`,
// **bold**, *italic*, [links](url) and bare URLs. It builds DOM nodes; it never parses HTML.

import { h } from "./dom.js";

const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*)|(\[[^\]]+\]\((?:https?:\/\/|\/)[^)\s]+\))|(https?:\/\/[^\s<>"'`)]+[^\s<>"'`).,;:])/;

/** A link's target on this server (dashboard URLs from another host in development become local). */
export function localHref(url) {
  try {
    const u = new URL(url, location.href);
    if (u.pathname.startsWith("/d/")) return `${u.pathname}${u.search}`;
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : "#";
  } catch {
    return "#";
  }
}

function link(href, text) {
  const target = localHref(href);
  // a dashboard URL is long and names the team id: say what it is instead
  const label = target.startsWith("/d/") && text === href ? "Open dashboard" : text;
  return h("a", { href: target, rel: "noopener", class: target.startsWith("/d/") ? "open-dashboard" : undefined, text: label });
}

function inline(text) {
  const out = [];
  let rest = text;
  while (rest) {
    const m = rest.match(INLINE);
    if (!m) { out.push(rest); break; }
    if (m.index) out.push(rest.slice(0, m.index));
    const [tok] = m;
    if (m[1]) out.push(h("code", { text: tok.slice(1, -1) }));
    else if (m[2]) out.push(h("strong", {}, inline(tok.slice(2, -2))));
    else if (m[3]) out.push(h("em", {}, inline(tok.slice(1, -1))));
    else if (m[4]) {
      const [, label, href] = tok.match(/^\[([^\]]+)\]\(([^)]+)\)$/);
      out.push(link(href, label));
    } else out.push(link(tok, tok));
    rest = rest.slice(m.index + tok.length);
  }
  return out;
}

/** DOM nodes for `text` written in markdown. */
export function renderMarkdown(text) {
  const blocks = [];
  const lines = String(text || "").replace(/\r\n/g, "\n").split("\n");
  let para = [];
  let list = null;
  const flush = () => {
    if (para.length) blocks.push(h("p", {}, inline(para.join(" "))));
    para = [];
    if (list) blocks.push(list);
    list = null;
  };
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    if (/^```/.test(line)) {
      flush();
      const code = [];
      for (i += 1; i < lines.length && !/^```/.test(lines[i]); i += 1) code.push(lines[i]);
      blocks.push(h("pre", { class: "code", tabindex: "0" }, h("code", { text: code.join("\n") })));
      continue;
    }
    const item = line.match(/^\s*(?:[-*]|\d+\.)\s+(.*)$/);
    if (item) {
      if (para.length) { blocks.push(h("p", {}, inline(para.join(" ")))); para = []; }
      if (!list) list = h(/^\s*\d/.test(line) ? "ol" : "ul");
      list.append(h("li", {}, inline(item[1])));
      continue;
    }
    const heading = line.match(/^#{1,6}\s+(.*)$/);
    if (heading) { flush(); blocks.push(h("p", {}, h("strong", {}, inline(heading[1])))); continue; }
    if (!line.trim()) { flush(); continue; }
    if (list) flush();
    para.push(line.trim());
  }
  flush();
  return blocks;
}
