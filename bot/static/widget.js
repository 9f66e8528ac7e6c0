/*
 * quotebot chat widget. Embed with one tag:
 *   <script src="https://quotebot.example/widget.js" data-mode="bubble|inline" data-target="#id"
 *           data-endpoint="https://quotebot.example" defer></script>
 * It defines <quotebot-chat>, whose shadow DOM keeps its styles apart from the page; theme it with CSS custom
 * properties (--quotebot-accent, --quotebot-font, ...), which cross the shadow boundary.
 * Every piece of server data is inserted as text (createTextNode / textContent), never as markup.
 */
(function () {
  "use strict";

  var TAG = "quotebot-chat";
  var TIMEOUT_MS = 60000;
  var MAX_STORED_MESSAGES = 60;
  var CONTEXT_CHARS = 600; // characters of paragraph kept on each side of a cited span
  var currentScript = document.currentScript;
  var DEFAULT_ENDPOINT = (function () {
    try {
      return new URL(currentScript.src, location.href).origin;
    } catch (e) {
      return location.origin;
    }
  })();

  var VERDICTS = {
    verified: { text: "verified", icon: "\u2713", help: "These words appear verbatim in a statement by the speaker." },
    altered: { text: "altered", icon: "\u2260", help: "The speaker said something close, but the words differ." },
    misattributed: { text: "misattributed", icon: "\u21c4", help: "The words are real, but the sources attribute them to someone else." },
    reported: { text: "reported", icon: "\u2248", help: "The sources report this in indirect speech, not in these exact words." },
    paraphrase: { text: "paraphrase", icon: "\u223c", help: "Not in these words: the speaker said something with this meaning in other words." },
    not_found: { text: "not found", icon: "?", help: "Nothing in the indexed articles supports this. That is absence of evidence, not proof it is false." },
  };
  var PENDING_LABELS = {
    verify: "Checking the quote\u2026",
    speaker_statements: "Finding statements\u2026",
    who_said: "Finding who said it\u2026",
    search: "Searching the articles\u2026",
  };

  var CSS = [
    ":host { all: initial; display: block; contain: layout style;",
    "  --qb-accent: var(--quotebot-accent, #1f5bd8); --qb-on-accent: var(--quotebot-accent-contrast, #fff);",
    "  --qb-font: var(--quotebot-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);",
    "  --qb-bg: var(--quotebot-bg, #fff); --qb-fg: var(--quotebot-fg, #1d2330);",
    "  --qb-muted: var(--quotebot-muted, #596275); --qb-border: var(--quotebot-border, #dde1e8);",
    "  --qb-soft: var(--quotebot-soft, #f3f5f9); --qb-radius: var(--quotebot-radius, 12px);",
    "  --qb-mark: var(--quotebot-mark, #ffe27a); --qb-focus: var(--quotebot-focus, var(--qb-accent));",
    "  --qb-height: var(--quotebot-height, 560px);",
    "  font-family: var(--qb-font); font-size: 15px; line-height: 1.5; color: var(--qb-fg); }",
    ":host([mode=bubble]) { position: fixed; z-index: var(--quotebot-z, 2147483000); right: 20px; bottom: 20px; }",
    "*, *::before, *::after { box-sizing: border-box; }",
    "[hidden] { display: none !important; }",
    ".vh { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }",
    "button, input { font: inherit; color: inherit; }",
    "button { cursor: pointer; }",
    ":focus-visible { outline: 3px solid var(--qb-focus); outline-offset: 2px; }",
    ".panel { display: flex; flex-direction: column; height: var(--qb-height); background: var(--qb-bg);",
    "  border: 1px solid var(--qb-border); border-radius: var(--qb-radius); overflow: hidden;",
    "  box-shadow: 0 1px 2px rgba(16,24,40,.06), 0 8px 24px rgba(16,24,40,.08); }",
    ":host([mode=bubble]) .panel { position: absolute; right: 0; bottom: 72px; width: min(400px, calc(100vw - 24px));",
    "  height: min(var(--qb-height), calc(100vh - 110px)); }",
    ".launcher { display: inline-flex; align-items: center; gap: 8px; border: 0; border-radius: 999px; padding: 12px 18px;",
    "  background: var(--qb-accent); color: var(--qb-on-accent); font-weight: 600; box-shadow: 0 6px 18px rgba(16,24,40,.25); }",
    ".head { display: flex; align-items: center; gap: 8px; padding: 10px 12px 10px 16px; border-bottom: 1px solid var(--qb-border); }",
    ".title { margin: 0; font-size: 16px; font-weight: 700; }",
    ".sub { margin: 0; font-size: 12.5px; color: var(--qb-muted); }",
    ".head .grow { flex: 1; min-width: 0; }",
    ".ghost { border: 1px solid var(--qb-border); background: var(--qb-bg); border-radius: 8px; padding: 5px 10px; font-size: 13px; }",
    ".ghost:hover { border-color: var(--qb-accent); color: var(--qb-accent); }",
    ".icon { border: 0; background: transparent; border-radius: 8px; width: 32px; height: 32px; font-size: 20px; line-height: 1; }",
    ".icon:hover { background: var(--qb-soft); }",
    ".scroll { position: relative; flex: 1; overflow-y: auto; padding: 14px 16px; background: var(--qb-soft); }",
    ".empty { margin: 24px 8px; color: var(--qb-muted); text-align: center; }",
    ".log { display: flex; flex-direction: column; gap: 12px; }",
    ".msg { max-width: 92%; padding: 10px 12px; border-radius: 12px; overflow-wrap: anywhere; }",
    ".user { align-self: flex-end; background: var(--qb-accent); color: var(--qb-on-accent); border-bottom-right-radius: 4px; white-space: pre-wrap; }",
    ".bot { align-self: flex-start; background: var(--qb-bg); border: 1px solid var(--qb-border); border-bottom-left-radius: 4px; }",
    ".bot p { margin: 0 0 6px; } .bot p:last-child { margin-bottom: 0; }",
    ".bot ul { margin: 4px 0 0; padding-left: 18px; } .bot li { margin: 0 0 6px; white-space: pre-line; }",
    ".stream { margin-top: 12px; display: flex; flex-direction: column; }",
    ".streaming { white-space: pre-wrap; }",
    ".pending { color: var(--qb-muted); font-style: italic; }",
    ".pending::after { content: ''; display: inline-block; width: 1em; animation: qb-dots 1.2s steps(4) infinite; }",
    "@keyframes qb-dots { 0% { content: ''; } 25% { content: '.'; } 50% { content: '..'; } 75% { content: '...'; } }",
    "@media (prefers-reduced-motion: reduce) { .pending::after { animation: none; } }",
    ".cite { display: inline-flex; align-items: center; justify-content: center; min-width: 1.55em; height: 1.4em;",
    "  margin: 0 1px; padding: 0 4px; border: 1px solid var(--qb-accent); border-radius: 6px; background: var(--qb-bg);",
    "  color: var(--qb-accent); font-size: 12px; font-weight: 700; line-height: 1; vertical-align: 1px; }",
    ".cite:hover, .cite[aria-expanded=true] { background: var(--qb-accent); color: var(--qb-on-accent); }",
    ".verdict { margin-top: 8px; padding: 8px 10px; border-radius: 10px; border: 1px solid var(--qb-border); background: var(--qb-soft); }",
    ".verdict p { margin: 4px 0; }",
    ".badge { display: inline-flex; align-items: center; gap: 5px; padding: 2px 9px; border-radius: 999px; border: 1px solid;",
    "  font-size: 12.5px; font-weight: 700; text-transform: uppercase; letter-spacing: .03em; }",
    ".badge::before { content: attr(data-icon) / ''; font-size: 1.1em; }", // a shape as well as a colour; silent to screen readers
    ".badge-verified { background: #e2f4e8; color: #0f5f35; border-color: #2e9d5b; }",
    ".badge-altered { background: #fff1d1; color: #704400; border-color: #d99a00; }",
    ".badge-misattributed { background: #fde3e3; color: #971b1b; border-color: #d64545; }",
    ".badge-reported { background: #e3edfc; color: #1b4a8a; border-color: #4a7fd0; }",
    ".badge-paraphrase { background: #efe6fb; color: #4f2a86; border-color: #8a5fd0; }",
    ".badge-not_found { background: #eceef2; color: #3f4653; border-color: #8a92a1; }",
    ".claim { font-style: italic; }",
    ".help, .notes, .legend { font-size: 13px; color: var(--qb-muted); }",
    ".notes { margin: 4px 0; padding-left: 18px; }",
    ".diff { padding: 6px 8px; background: var(--qb-bg); border-radius: 6px; border: 1px dashed var(--qb-border); }",
    "del { background: #fde3e3; color: #8a1717; text-decoration: line-through; }",
    "ins { background: #e2f4e8; color: #0f5f35; text-decoration: underline; }",
    "del::before, ins::before { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }",
    "del::before { content: ' [in the source: '; } ins::before { content: ' [in the claim: '; }",
    "del::after, ins::after { content: '] '; position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }",
    ".alert:empty { padding: 0; border: 0; }", // kept rendered: an alert region that appears with its text is announced less reliably
    ".alert { display: flex; align-items: center; gap: 10px; margin: 0; padding: 10px 14px; background: #fde3e3;",
    "  color: #7d1414; border-top: 1px solid #efb1b1; }",
    ".alert p { margin: 0; flex: 1; }",
    ".alert button { border: 1px solid #b42323; background: #fff; color: #7d1414; border-radius: 8px; padding: 4px 12px; font-weight: 600; }",
    ".card { position: relative; max-height: 52%; overflow-y: auto; padding: 12px 16px 14px; border-top: 3px solid var(--qb-accent);",
    "  background: var(--qb-bg); box-shadow: 0 -6px 16px rgba(16,24,40,.08); }",
    ".card-head { display: flex; align-items: flex-start; gap: 8px; }",
    ".card-title { flex: 1; margin: 4px 0 6px; font-size: 14.5px; }",
    ".card-title:focus { outline: none; } .card-title:focus-visible { outline: 3px solid var(--qb-focus); }",
    ".card-n { display: inline-block; min-width: 1.6em; margin-right: 6px; padding: 0 5px; border-radius: 6px; text-align: center;",
    "  background: var(--qb-accent); color: var(--qb-on-accent); font-size: 12px; }",
    "blockquote { margin: 6px 0; padding: 4px 0 4px 12px; border-left: 3px solid var(--qb-accent); white-space: pre-line; }",
    ".meta { margin: 6px 0; font-size: 13px; color: var(--qb-muted); }",
    ".meta a { color: var(--qb-accent); }",
    ".context-label { margin: 10px 0 4px; font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .04em; color: var(--qb-muted); }",
    ".para { margin: 0; padding: 8px 10px; border-radius: 8px; background: var(--qb-soft); white-space: pre-line; font-size: 14px; }",
    "mark { background: var(--qb-mark); color: inherit; padding: 0 1px; border-radius: 2px; }",
    ".form { padding: 10px 12px 12px; border-top: 1px solid var(--qb-border); background: var(--qb-bg); }",
    ".form label { display: block; margin: 0 0 4px 2px; font-size: 13px; font-weight: 600; }",
    ".row { display: flex; gap: 8px; }",
    ".row input { flex: 1; min-width: 0; padding: 9px 12px; border: 1px solid var(--qb-border); border-radius: 10px; background: var(--qb-bg); }",
    ".row input:focus-visible { outline: 3px solid var(--qb-focus); outline-offset: 0; border-color: var(--qb-accent); }",
    ".send { border: 0; border-radius: 10px; padding: 0 16px; background: var(--qb-accent); color: var(--qb-on-accent); font-weight: 600; }",
    ".send[aria-disabled=true] { opacity: .6; cursor: progress; }",
  ].join("\n");

  /** Build an element; string children become text nodes, so data is never parsed as markup. */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key.slice(0, 2) === "on" && typeof value === "function") el.addEventListener(key.slice(2), value);
        else el.setAttribute(key, value === true ? "" : String(value));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function append(parent, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(parent, c); });
    else if (typeof child === "string" || typeof child === "number") parent.appendChild(document.createTextNode(String(child)));
    else parent.appendChild(child);
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
  }

  /** Return the URL if it is http(s), so a stored "javascript:" URL never becomes a link. */
  function safeUrl(url) {
    try {
      var u = new URL(String(url));
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  function formatDate(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
    if (!m) return iso || "";
    var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  }

  /** Convert code-point offsets (Python's) to UTF-16 offsets (JavaScript's); they differ after an astral character. */
  function unitOffsets(text, start, end) {
    if (!/[\uD800-\uDBFF]/.test(text)) return [start, end];
    var cp = 0, i = 0, s = -1;
    while (i <= text.length) {
      if (cp === start && s < 0) s = i;
      if (cp === end) return [s, i];
      var c = text.charCodeAt(i);
      i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
      cp++;
    }
    return [start, end];
  }

  /** Return the cited span's paragraph (between the nearest blank lines) with the span's place in it, or null. */
  function locate(text, citation) {
    var off = unitOffsets(text, citation.start, citation.end);
    var s = off[0], e = off[1];
    if (text.slice(s, e) !== citation.text) {
      // Offsets that do not match mean the article changed since the answer; find the words instead of guessing.
      s = text.indexOf(citation.text);
      if (s < 0) return null;
      e = s + citation.text.length;
    }
    var before = s >= 2 ? text.lastIndexOf("\n\n", s - 2) : -1;
    var a = before < 0 ? 0 : before + 2;
    var after = text.indexOf("\n\n", e);
    var b = after < 0 ? text.length : after;
    var lead = false, tail = false;
    if (s - a > CONTEXT_CHARS) { a = wordStart(text, s - CONTEXT_CHARS); lead = true; }
    if (b - e > CONTEXT_CHARS) { b = wordEnd(text, e + CONTEXT_CHARS); tail = true; }
    return { before: text.slice(a, s), quote: text.slice(s, e), after: text.slice(e, b), lead: lead, tail: tail };
  }

  function wordStart(text, i) {
    var sp = text.indexOf(" ", i);
    return sp < 0 ? i : sp + 1;
  }

  function wordEnd(text, i) {
    var sp = text.lastIndexOf(" ", i);
    return sp < 0 ? i : sp;
  }

  function WidgetError(message) {
    this.message = message;
  }

  /** Turn a failed response into a WidgetError carrying the problem+json `detail`. */
  function problemError(resp) {
    var type = resp.headers.get("content-type") || "";
    if (type.indexOf("json") < 0) return Promise.resolve(new WidgetError("quotebot answered with HTTP " + resp.status + "."));
    return resp.json().then(
      function (body) { return new WidgetError(problemText(body, resp.status)); },
      function () { return new WidgetError("quotebot answered with HTTP " + resp.status + "."); }
    );
  }

  function problemText(body, status) {
    if (body && typeof body.detail === "string" && body.detail) return body.detail;
    if (body && typeof body.title === "string" && body.title) return body.title;
    return "quotebot answered with HTTP " + (status || "an error") + ".";
  }

  /** Read a text/event-stream body, calling onEvent(name, data) per event. */
  function readEventStream(resp, onEvent) {
    var reader = resp.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function dispatch(block) {
      var name = "message", data = [];
      block.split("\n").forEach(function (line) {
        if (!line || line.charAt(0) === ":") return;
        var colon = line.indexOf(":");
        var field = colon < 0 ? line : line.slice(0, colon);
        var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") name = value;
        else if (field === "data") data.push(value);
      });
      if (data.length) onEvent(name, data.join("\n"));
    }
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          buffer += decoder.decode();
          if (buffer.trim()) dispatch(buffer.replace(/\r\n?/g, "\n"));
          return;
        }
        buffer = (buffer + decoder.decode(chunk.value, { stream: true })).replace(/\r\n?/g, "\n");
        var cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          var block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          dispatch(block);
        }
        return pump();
      });
    }
    return pump();
  }

  function storageGet(key) {
    try {
      var raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : null;
    } catch (e) {
      return null; // storage blocked (sandboxed frame, privacy mode) or corrupt: start afresh
    }
  }

  function storageSet(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* quota or blocked storage: the chat still works, it just will not survive a reload */
    }
  }

  class QuotebotChat extends HTMLElement {
    constructor() {
      super();
      this._root = this.attachShadow({ mode: "open" });
      this._built = false;
      this._busy = false;
      this._generation = 0;
      this._controller = null;
      this._articles = new Map();
      this._openMarker = null;
      this._lastQuestion = null;
      this._state = { messages: [], context: null };
    }

    get endpoint() {
      return (this.getAttribute("endpoint") || DEFAULT_ENDPOINT).replace(/\/+$/, "");
    }

    get mode() {
      return this.getAttribute("mode") === "bubble" ? "bubble" : "inline";
    }

    connectedCallback() {
      if (this._built) return;
      this._built = true;
      if (!this.hasAttribute("mode")) this.setAttribute("mode", this.mode);
      this._build();
      this._restore();
    }

    /** Ask a question as if it had been typed (the demo page's examples use this). */
    ask(question) {
      question = String(question || "").trim();
      if (!question) return;
      if (this.mode === "bubble") this._setOpen(true);
      this._submit(question);
    }

    /** Forget the conversation and its context, here and in localStorage. */
    reset() {
      this._generation++;
      if (this._controller) this._controller.abort();
      this._busy = false;
      this._send.setAttribute("aria-disabled", "false");
      this._state = { messages: [], context: null };
      this._lastQuestion = null;
      storageSet(this._storageKey(), null);
      clear(this._log);
      this._hidePending();
      this._clearError();
      this._closeCard(false);
      this._empty.hidden = false;
      this._input.focus();
    }

    _storageKey() {
      return "quotebot:conversation:" + this.endpoint;
    }

    _build() {
      var self = this;
      var bubble = this.mode === "bubble";
      this._root.appendChild(h("style", null, CSS));
      this._empty = h("p", { class: "empty" },
        "Ask who said what, or paste a quote to check it. Every answer cites the articles word for word.");
      this._log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": "Conversation" });
      // Streamed text grows here, outside the live region, so a screen reader hears the answer once, when complete.
      this._stream = h("div", { class: "stream", hidden: true });
      this._scroll = h("div", { class: "scroll" }, this._empty, this._log, this._stream);
      this._alert = h("div", { class: "alert", role: "alert" });
      this._card = h("section", { class: "card", id: "qb-card", hidden: true, "aria-labelledby": "qb-card-title" });
      this._input = h("input", {
        id: "qb-input", type: "text", name: "question", autocomplete: "off", maxlength: "1000",
        placeholder: "e.g. what did Kirby say?", enterkeyhint: "send",
      });
      this._send = h("button", { class: "send", type: "submit", "aria-disabled": "false" }, "Send");
      var form = h("form", { class: "form", onsubmit: function (event) {
        event.preventDefault();
        self._submit(self._input.value.trim());
      } },
        h("label", { for: "qb-input" }, "Ask about quotes in the news"),
        h("div", { class: "row" }, this._input, this._send));
      var head = h("header", { class: "head" },
        h("div", { class: "grow" },
          h("h2", { class: "title", id: "qb-title" }, "quotebot"),
          h("p", { class: "sub" }, "Answers quote the articles verbatim")),
        h("button", { class: "ghost", type: "button", onclick: function () { self.reset(); } }, "New conversation"),
        bubble ? h("button", { class: "icon", type: "button", "aria-label": "Close chat", onclick: function () { self._setOpen(false); } }, "\u00d7") : null);
      this._panel = h("section", { class: "panel", id: "qb-panel", "aria-labelledby": "qb-title", hidden: bubble },
        head, this._scroll, this._alert, this._card, form);
      this._panel.addEventListener("keydown", function (event) {
        if (event.key !== "Escape") return;
        if (!self._card.hidden) self._closeCard(self._card.contains(self._root.activeElement));
        else if (bubble) self._setOpen(false);
        else return;
        event.preventDefault();
      });
      if (bubble) {
        this._launcher = h("button", { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "qb-panel",
          onclick: function () { self._setOpen(self._panel.hidden); } },
          h("span", { "aria-hidden": "true" }, "\u275d"), "Ask quotebot");
        this._root.appendChild(this._panel);
        this._root.appendChild(this._launcher);
      } else {
        this._root.appendChild(this._panel);
      }
    }

    _setOpen(open) {
      if (!this._launcher) return;
      this._panel.hidden = !open;
      this._launcher.setAttribute("aria-expanded", String(open));
      if (open) this._input.focus();
      else this._launcher.focus();
    }

    _restore() {
      var saved = storageGet(this._storageKey());
      if (!saved || !Array.isArray(saved.messages)) return;
      this._state = { messages: saved.messages, context: saved.context || null };
      var self = this;
      saved.messages.forEach(function (m) {
        if (m && m.role === "user" && typeof m.text === "string") self._log.appendChild(self._userMessage(m.text));
        else if (m && m.role === "bot" && m.answer) self._log.appendChild(self._botMessage(m.answer));
      });
      this._empty.hidden = saved.messages.length > 0;
      this._scroll.scrollTop = this._scroll.scrollHeight;
    }

    _save() {
      var messages = this._state.messages.slice(-MAX_STORED_MESSAGES);
      storageSet(this._storageKey(), { v: 1, messages: messages, context: this._state.context });
    }

    _submit(question) {
      if (!question || this._busy) return;
      this._input.value = "";
      this._state.messages.push({ role: "user", text: question });
      this._save();
      this._empty.hidden = true;
      this._log.appendChild(this._userMessage(question));
      this._scroll.scrollTop = this._scroll.scrollHeight;
      this._ask(question);
    }

    _ask(question) {
      var self = this;
      var generation = ++this._generation;
      this._lastQuestion = question;
      this._busy = true;
      this._send.setAttribute("aria-disabled", "true");
      this._clearError();
      this._showPending();
      var body = { question: question };
      if (this._state.context) body.context = this._state.context;
      return this._request(body, generation).then(
        function (answer) {
          if (generation !== self._generation) return;
          self._finish();
          self._state.messages.push({ role: "bot", answer: answer });
          self._state.context = answer.context || null;
          self._save();
          var msg = self._botMessage(answer);
          self._log.appendChild(msg);
          self._scroll.scrollTop = Math.max(0, msg.offsetTop - 12);
        },
        function (err) {
          if (generation !== self._generation) return;
          self._finish();
          self._showError(err instanceof WidgetError ? err.message : "Something went wrong in the quotebot widget.");
        }
      );
    }

    _finish() {
      this._busy = false;
      this._controller = null;
      this._send.setAttribute("aria-disabled", "false");
      this._hidePending();
    }

    _request(body, generation) {
      var self = this;
      var endpoint = this.endpoint;
      var controller = new AbortController();
      this._controller = controller;
      var timedOut = false;
      var timer = setTimeout(function () { timedOut = true; controller.abort(); }, TIMEOUT_MS);
      function failure() {
        return new WidgetError(timedOut
          ? "quotebot at " + endpoint + " took too long to answer."
          : "Could not reach quotebot at " + endpoint + " (is this site allowed?)");
      }
      return fetch(endpoint + "/ask", {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream, application/json;q=0.9" },
        body: JSON.stringify(body),
        signal: controller.signal,
      }).then(function (resp) {
        if (!resp.ok) return problemError(resp).then(function (err) { throw err; });
        var type = resp.headers.get("content-type") || "";
        if (type.indexOf("text/event-stream") >= 0) return self._readStream(resp, generation);
        return resp.json().catch(function () {
          throw new WidgetError("quotebot sent an answer this widget cannot read.");
        });
      }, function () {
        throw failure();
      }).then(function (answer) {
        if (!answer || typeof answer.answer !== "string") throw new WidgetError("quotebot sent an answer this widget cannot read.");
        return answer;
      }).catch(function (err) {
        if (err instanceof WidgetError) throw err;
        throw failure(); // the connection dropped mid-stream
      }).finally(function () {
        clearTimeout(timer);
      });
    }

    _readStream(resp, generation) {
      var self = this;
      var final = null, problem = null;
      return readEventStream(resp, function (name, data) {
        if (generation !== self._generation) return;
        var payload;
        try {
          payload = JSON.parse(data);
        } catch (e) {
          return; // a malformed event is skipped; the done event carries the whole answer anyway
        }
        if (name === "start") self._pendingLabel(PENDING_LABELS[payload.intent] || PENDING_LABELS.search);
        else if (name === "token" && typeof payload.text === "string") self._streamText(payload.text);
        else if (name === "done") final = payload;
        else if (name === "error") problem = payload;
      }).then(function () {
        if (problem) throw new WidgetError(problemText(problem, problem.status));
        if (!final) throw new WidgetError("The answer stream from quotebot ended early.");
        return final;
      });
    }

    _showPending() {
      clear(this._stream);
      this._pendingEl = h("span", { class: "pending" }, PENDING_LABELS.search);
      this._streamEl = h("div", { class: "streaming" });
      this._stream.appendChild(h("div", { class: "msg bot", "aria-busy": "true" }, this._pendingEl, this._streamEl));
      this._stream.hidden = false;
      this._scroll.scrollTop = this._scroll.scrollHeight;
    }

    _pendingLabel(text) {
      if (this._pendingEl) this._pendingEl.textContent = text;
    }

    _streamText(piece) {
      if (this._pendingEl) {
        this._pendingEl.remove();
        this._pendingEl = null;
      }
      var atBottom = this._scroll.scrollHeight - this._scroll.scrollTop - this._scroll.clientHeight < 40;
      this._streamEl.appendChild(document.createTextNode(piece));
      if (atBottom) this._scroll.scrollTop = this._scroll.scrollHeight;
    }

    _hidePending() {
      this._stream.hidden = true;
      clear(this._stream);
      this._pendingEl = this._streamEl = null;
    }

    _showError(message) {
      var self = this;
      clear(this._alert);
      append(this._alert, [
        h("p", null, message),
        this._lastQuestion
          ? h("button", { type: "button", onclick: function () {
            self._input.focus(); // the button is about to disappear with the alert; keep focus somewhere useful
            self._ask(self._lastQuestion);
          } }, "Retry")
          : null,
      ]);
    }

    _clearError() {
      clear(this._alert);
    }

    _userMessage(text) {
      return h("div", { class: "msg user" }, h("span", { class: "vh" }, "You asked: "), text);
    }

    _botMessage(answer) {
      var self = this;
      var byN = new Map();
      (answer.citations || []).forEach(function (c) { byN.set(String(c.n), c); });
      var msg = h("div", { class: "msg bot", "data-intent": answer.intent || "" }, h("span", { class: "vh" }, "quotebot: "));
      append(msg, this._answerBody(answer.answer, function (n) { return byN.get(n); }));
      (answer.verdicts || []).forEach(function (v) { msg.appendChild(self._verdict(v, byN)); });
      return msg;
    }

    /** Render answer text: lines become paragraphs, "- " lines list items, [n] markers buttons. */
    _answerBody(text, lookup) {
      var self = this;
      var nodes = [];
      var list = null, item = null, itemText = "", gap = "";
      String(text).split("\n").forEach(function (line) {
        // An excerpt quoted across paragraphs ("- Title: \u201cA\n\nB\u201d [1]") stays inside its list item.
        var open = item !== null && itemText.split("\u201c").length > itemText.split("\u201d").length;
        if (!line.trim()) {
          if (open) gap += "\n";
          else list = item = null;
          return;
        }
        var bullet = /^\s*[-*\u2022]\s+/.exec(line);
        if (!bullet && open) {
          append(item, ["\n" + gap, self._inline(line, lookup)]);
          itemText += line;
          gap = "";
          return;
        }
        gap = "";
        if (bullet) {
          if (!list) { list = h("ul"); nodes.push(list); }
          itemText = line.slice(bullet[0].length);
          item = h("li", null, self._inline(itemText, lookup));
          list.appendChild(item);
        } else {
          list = item = null;
          nodes.push(h("p", null, self._inline(line, lookup)));
        }
      });
      return nodes;
    }

    _inline(text, lookup) {
      var out = [];
      var re = /\[(\d+)\]/g, last = 0, m;
      while ((m = re.exec(text))) {
        var citation = lookup(m[1]);
        if (!citation) continue;
        if (m.index > last) out.push(text.slice(last, m.index));
        out.push(this._marker(citation));
        last = m.index + m[0].length;
      }
      if (last < text.length) out.push(text.slice(last));
      return out;
    }

    _marker(citation) {
      var self = this;
      var hint = [citation.speaker, citation.title || citation.source].filter(Boolean).join(" \u2014 ");
      var button = h("button", {
        class: "cite", type: "button", "aria-label": "Citation " + citation.n, "aria-expanded": "false",
        "aria-controls": "qb-card", "data-n": citation.n, title: hint || null,
      }, String(citation.n));
      button.addEventListener("click", function () {
        if (self._openMarker === button) self._closeCard(true);
        else self._openCard(citation, button);
      });
      return button;
    }

    _verdict(v, byN) {
      var self = this;
      var info = VERDICTS[v.label] || { text: String(v.label || "unknown").replace(/_/g, " "), icon: "?", help: "" };
      var box = h("div", { class: "verdict verdict-" + v.label, "data-label": v.label });
      box.appendChild(h("p", null,
        h("span", { class: "badge badge-" + v.label, "data-label": v.label, "data-icon": info.icon }, info.text),
        " ",
        v.claim ? h("span", { class: "claim" }, "\u201c" + v.claim + "\u201d") : null,
        v.claimed_speaker ? [" \u2014 ", v.claimed_speaker] : null));
      if (info.help) box.appendChild(h("p", { class: "help" }, info.help));
      if (v.label === "paraphrase" && v.actual_speaker) {
        box.appendChild(h("p", null, "Said in other words by ", h("strong", null, v.actual_speaker), "."));
      }
      if (v.label === "misattributed" && v.actual_speaker) {
        box.appendChild(h("p", null, "The sources attribute these words to ", h("strong", null, v.actual_speaker), "."));
      }
      if (v.diff && v.diff.length && v.label !== "verified") {
        box.appendChild(h("p", { class: "diff", "aria-label": "Differences between the source and the claim" }, this._diff(v.diff)));
        box.appendChild(h("p", { class: "legend" }, h("del", null, "struck"), " in the source but not the claim; ",
          h("ins", null, "underlined"), " in the claim but not the source."));
      }
      if (v.notes && v.notes.length) {
        box.appendChild(h("ul", { class: "notes" }, v.notes.map(function (n) { return h("li", null, n); })));
      }
      if (v.evidence && v.evidence.length) {
        var markers = v.evidence.map(function (c) {
          var known = byN.get(String(c.n));
          var same = known && known.article_id === c.article_id && known.start === c.start && known.end === c.end;
          return [self._marker(same ? known : c), " "];
        });
        box.appendChild(h("p", { class: "help" }, "Evidence: ", markers));
      }
      return box;
    }

    _diff(ops) {
      var out = [];
      ops.forEach(function (op, i) {
        if (i) out.push(" ");
        if (op.op === "equal") out.push(op.source || op.claim || "");
        else if (op.op === "delete") out.push(h("del", null, op.source || ""));
        else if (op.op === "insert") out.push(h("ins", null, op.claim || ""));
        else out.push(h("del", null, op.source || ""), " ", h("ins", null, op.claim || ""));
      });
      return out;
    }

    _openCard(citation, marker) {
      var self = this;
      if (this._openMarker) this._openMarker.setAttribute("aria-expanded", "false");
      this._openMarker = marker;
      marker.setAttribute("aria-expanded", "true");
      var card = this._card;
      clear(card);
      var title = h("h3", { class: "card-title", id: "qb-card-title", tabindex: "-1" },
        h("span", { class: "card-n" }, String(citation.n)),
        citation.speaker ? "Quote by " + citation.speaker + (citation.speaker_role ? ", " + citation.speaker_role : "")
          : "Passage from the article");
      card.appendChild(h("div", { class: "card-head" }, title,
        h("button", { class: "icon", type: "button", "aria-label": "Close citation", onclick: function () { self._closeCard(true); } }, "\u00d7")));
      var short = citation.text.length <= 320;
      // A long passage is shown once, highlighted in its paragraph below, rather than twice.
      if (short || citation.speaker) card.appendChild(h("blockquote", { class: "quote" }, citation.text));
      var url = safeUrl(citation.url);
      var titleText = citation.title || "Untitled article";
      var meta = [url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, titleText) : h("cite", null, titleText)];
      if (citation.source) meta.push(" \u00b7 ", citation.source);
      if (citation.published) meta.push(" \u00b7 ", h("time", { datetime: citation.published }, formatDate(citation.published)));
      card.appendChild(h("p", { class: "meta" }, meta));
      card.appendChild(h("p", { class: "context-label" }, "In the article"));
      var para = h("p", { class: "para", "aria-busy": "true" }, short ? "Loading the article\u2026" : citation.text);
      card.appendChild(para);
      card.hidden = false;
      card.scrollTop = 0;
      title.focus();
      this._article(citation.article_id).then(function (article) {
        if (self._openMarker !== marker) return;
        para.removeAttribute("aria-busy");
        var found = locate(String(article.text || ""), citation);
        clear(para);
        if (!found) {
          append(para, [citation.text, h("span", { class: "help" }, " (this passage is no longer in the stored article)")]);
          return;
        }
        append(para, [found.lead ? "\u2026" : "", found.before, h("mark", null, found.quote), found.after, found.tail ? "\u2026" : ""]);
      }, function (err) {
        if (self._openMarker !== marker) return;
        para.removeAttribute("aria-busy");
        clear(para);
        append(para, [citation.text, h("span", { class: "help" }, " (could not load the article: " + err.message + ")")]);
      });
    }

    _closeCard(returnFocus) {
      var marker = this._openMarker;
      this._openMarker = null;
      this._card.hidden = true;
      clear(this._card);
      if (!marker) return;
      marker.setAttribute("aria-expanded", "false");
      if (returnFocus) (marker.isConnected ? marker : this._input).focus();
    }

    _article(id) {
      var self = this;
      if (!this._articles.has(id)) {
        var promise = fetch(this.endpoint + "/articles/" + encodeURIComponent(id), {
          mode: "cors", credentials: "omit", headers: { Accept: "application/json" },
        }).then(function (resp) {
          if (!resp.ok) return problemError(resp).then(function (err) { throw err; });
          return resp.json();
        }, function () {
          throw new WidgetError("could not reach quotebot at " + self.endpoint);
        });
        promise.catch(function () { self._articles.delete(id); }); // let a later click try again
        this._articles.set(id, promise);
      }
      return this._articles.get(id);
    }
  }

  if (!customElements.get(TAG)) customElements.define(TAG, QuotebotChat);

  function mount(script) {
    var data = script.dataset;
    var el = document.createElement(TAG);
    el.setAttribute("endpoint", data.endpoint || DEFAULT_ENDPOINT);
    var mode = data.mode === "inline" ? "inline" : "bubble";
    el.setAttribute("mode", mode);
    if (mode === "bubble") {
      document.body.appendChild(el);
      return;
    }
    var target = null;
    if (data.target) {
      try {
        target = document.querySelector(data.target);
      } catch (e) {
        target = null;
      }
      if (!target && window.console) console.warn("quotebot: no element matches data-target " + data.target + "; rendering after the script tag");
    }
    if (target) target.appendChild(el);
    else script.parentNode.insertBefore(el, script.nextSibling);
  }

  // Loaded by hand (no script element, e.g. via import()): the page places <quotebot-chat> itself.
  if (currentScript && currentScript.parentNode) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () { mount(currentScript); });
    } else {
      mount(currentScript);
    }
  }
})();
