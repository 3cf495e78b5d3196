/*
 * Postguard's content script: finds the editor a person types in, asks the checking
 * server (through the service worker) about its text after a pause in typing, shows
 * what may be better kept internal in a panel next to the editor, and asks once more
 * before the post control sends a post with open findings.
 *
 * It never changes the site's editor: its UI lives in shadow roots on host elements
 * placed beside the editor. Neither the text nor the person's choice is logged or stored.
 */
(function () {
  "use strict";

  if (globalThis.postguardContentScriptLoaded) return; // injected twice, e.g. after an update
  globalThis.postguardContentScriptLoaded = true;

  const api = globalThis.browser ?? globalThis.chrome;
  const Sites = globalThis.PostguardSites;
  const Settings = globalThis.PostguardSettings;
  const I18n = globalThis.PostguardI18n;
  const Ask = globalThis.PostguardAsk;
  const { el } = globalThis.PostguardDom;

  const DEBOUNCE_MS = 400; // pause in typing before the text is checked
  const MIN_CHARS = 10; // a greeting or an emoji needs no check
  const SETTLE_MS = 2500; // how long a post waits for a check that is still on its way
  const QUOTE_MAX_CHARS = 240;
  const GAP_PX = 8;
  const PANEL_WIDTH_PX = 360;
  const OTHER_CONTROLS = "button, [role=button], a[href], input, select, textarea";
  const EDITOR_SELECTOR =
    '[contenteditable=""],[contenteditable="true"],[contenteditable="plaintext-only"],[role="textbox"],textarea';

  const shared = {
    settings: null,
    t: (key) => key,
    ready: null, // resolves once settings and strings are loaded
    states: new WeakMap(), // editor element → its EditorState
    watched: new Set(), // the EditorStates, for the post-control gate
    bypass: null, // the one replayed click or keydown that must pass the gate
    swallowEnterUp: false, // the keyup/keypress of a gated Enter must not reach the site either
    confirm: null, // the open confirm dialog, if any
    badgeCount: 0,
    repositionQueued: false,
  };

  // ---- settings and strings ------------------------------------------------------------

  async function loadSettings() {
    shared.settings = await Settings.load();
    shared.t = await I18n.translator(shared.settings.language);
  }

  shared.ready = loadSettings().catch(() => {
    shared.settings = { ...Settings.defaults, sites: { ...Settings.defaults.sites } };
  });

  Settings.onChange(async () => {
    await loadSettings();
    for (const state of liveStates()) {
      if (isActive(state)) {
        state.checkedText = null; // the server URL may have changed: check again
        schedule(state);
      } else {
        clearState(state);
      }
      render(state);
    }
  });

  /** True when Postguard should watch this editor now (site switched on, not paused). */
  function isActive(state) {
    const settings = shared.settings;
    if (!settings || Settings.isPaused(settings)) return false;
    return Settings.isSiteEnabled(settings, state.label.site);
  }

  // ---- finding editors -------------------------------------------------------------------

  /** The editor root for an event target, or null; the outermost editable element wins. */
  function editorFrom(target) {
    if (!(target instanceof Element)) return null;
    let editor = target.closest(EDITOR_SELECTOR);
    if (!editor) return null;
    if (editor instanceof HTMLTextAreaElement) return editor.readOnly || editor.disabled ? null : editor;
    if (!editor.isContentEditable) return null; // a role=textbox that only looks like one
    while (editor.parentElement?.isContentEditable) editor = editor.parentElement;
    return editor;
  }

  function eventTarget(event) {
    return event.composedPath?.()[0] ?? event.target;
  }

  /** The state for an editor, watching it the first time it is seen. */
  function watch(editor) {
    let state = shared.states.get(editor);
    if (state) return state;
    state = {
      editor,
      label: Sites.labelEditor(editor, location.hostname),
      observer: null,
      resizeObserver: null,
      timer: 0,
      seq: 0,
      inflight: null,
      checkedText: null, // the text the current findings belong to
      findings: [],
      offline: false,
      host: null,
      shadow: null,
      collapsed: false,
      openWhy: new Set(),
      includeDraft: false, // "Ask before posting" puts the draft into the mail only when ticked
      dismissed: new Set(), // findings the person marked "This is fine" (topic + sentence)
    };
    // Lexical cancels beforeinput and fires no input events: only its DOM updates tell.
    state.observer = new MutationObserver(() => {
      schedule(state);
      queueReposition();
    });
    state.observer.observe(editor, { characterData: true, childList: true, subtree: true });
    state.resizeObserver = new ResizeObserver(queueReposition);
    state.resizeObserver.observe(editor);
    shared.states.set(editor, state);
    shared.watched.add(state);
    return state;
  }

  /** The watched editors still in the page; forgets the others. */
  function liveStates() {
    const live = [];
    for (const state of shared.watched) {
      if (state.editor.isConnected) {
        live.push(state);
      } else {
        state.observer.disconnect();
        state.resizeObserver.disconnect();
        clearTimeout(state.timer);
        removeHost(state);
        shared.watched.delete(state);
        shared.states.delete(state.editor); // a node put back later is watched afresh
      }
    }
    return live;
  }

  function onFocusOrInput(event) {
    const editor = editorFrom(eventTarget(event));
    if (!editor) return;
    const state = watch(editor);
    if (event.type === "input" || state.checkedText === null) schedule(state); // a saved draft counts too
  }

  // ---- checking ------------------------------------------------------------------------

  function readText(editor) {
    return editor instanceof HTMLTextAreaElement ? editor.value : editor.innerText;
  }

  /** Check the editor's text once typing pauses. */
  function schedule(state) {
    if (shared.settings && !isActive(state)) return;
    clearTimeout(state.timer);
    state.timer = setTimeout(() => startCheck(state), DEBOUNCE_MS);
  }

  /** True while the editor's latest text has no answer yet. */
  function isPending(state) {
    return Boolean(state.timer || state.inflight);
  }

  function startCheck(state) {
    clearTimeout(state.timer);
    state.timer = 0;
    const seq = ++state.seq;
    const inflight = check(state, seq).finally(() => {
      if (state.inflight === inflight) state.inflight = null;
    });
    state.inflight = inflight;
    return inflight;
  }

  async function check(state, seq) {
    await shared.ready;
    if (!isActive(state)) return;
    const text = readText(state.editor);
    if (text === state.checkedText && !state.offline) return;
    if (text.trim().length < MIN_CHARS) {
      Object.assign(state, { checkedText: text, findings: [], offline: false });
      render(state);
      return;
    }
    state.label = Sites.labelEditor(state.editor, location.hostname);
    const reply = await send({ type: "check", text, site: state.label.site });
    if (seq !== state.seq) return; // a newer text is being checked: this answer is stale
    if (reply.ok) {
      const findings = withoutDismissed(state, text, reply.result?.findings ?? []);
      Object.assign(state, { checkedText: text, findings, offline: false });
    } else {
      // Offline: say so and let posts through. Other errors (say, a text over the server's
      // limit) are the server's to explain, not the person's problem: show nothing.
      Object.assign(state, {
        checkedText: reply.offline ? null : text,
        findings: [],
        offline: Boolean(reply.offline),
        unpaired: Boolean(reply.unpaired),
      });
    }
    render(state);
  }

  /** Wait until the editor's current text has an answer, at most SETTLE_MS. */
  async function settle(state) {
    const deadline = Date.now() + SETTLE_MS;
    const timeout = new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    while (isPending(state) && Date.now() < deadline) {
      const pending = state.inflight ?? startCheck(state);
      await Promise.race([pending, timeout]);
    }
  }

  async function send(message) {
    try {
      return (await api.runtime.sendMessage(message)) ?? { ok: false, error: "no reply" };
    } catch (error) {
      return { ok: false, error: String(error?.message ?? error) }; // e.g. the extension was updated
    }
  }

  function clearState(state) {
    clearTimeout(state.timer);
    state.seq += 1;
    Object.assign(state, { timer: 0, inflight: null, checkedText: null, findings: [], offline: false });
  }

  // ---- drawing -------------------------------------------------------------------------

  const STYLE = `
    :host { all: initial; }
    * { box-sizing: border-box; }
    .postguard-card {
      width: 100%; max-height: min(60vh, 440px); overflow: auto;
      font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2937;
      background: #fffdf7; border: 1px solid #f1d9a6; border-left: 4px solid #d97706; border-radius: 8px;
      box-shadow: 0 6px 24px rgba(15, 23, 42, 0.16); padding: 10px 12px; pointer-events: none;
    }
    .postguard-card.postguard-interactive { pointer-events: auto; }
    .postguard-header { display: flex; align-items: center; gap: 8px; }
    .postguard-heading { flex: 1; font-weight: 600; font-size: 13px; margin: 0; }
    .postguard-mark { color: #b45309; font-weight: 700; }
    .postguard-finding { border-top: 1px solid #f3e3c3; margin-top: 8px; padding-top: 8px; }
    .postguard-title { font-size: 14px; font-weight: 600; margin: 0 0 4px; color: #92400e; }
    .postguard-intro, .postguard-line, .postguard-footer, .postguard-evidence { margin: 4px 0; }
    .postguard-quote {
      margin: 6px 0; padding: 4px 8px; border-left: 3px solid #fcd34d; background: #fef6e4;
      font-style: italic; white-space: pre-wrap; overflow-wrap: anywhere;
    }
    .postguard-label { font-weight: 600; }
    .postguard-footer { color: #6b7280; font-size: 12px; margin-top: 8px; }
    .postguard-offline { border-left-color: #9ca3af; background: #f9fafb; border-color: #e5e7eb; color: #4b5563; font-size: 12px; padding: 6px 10px; }
    button, a, input, label { pointer-events: auto; font: inherit; }
    .postguard-ask-actions, .postguard-learn { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; }
    .postguard-ask {
      display: inline-block; border: 1px solid #1e5ea8; background: #1e5ea8; color: #fff; border-radius: 14px;
      padding: 1px 10px; font-size: 12px; text-decoration: none;
    }
    .postguard-include-label { display: flex; align-items: center; gap: 4px; font-size: 12px; color: #4b5563; }
    button {
      cursor: pointer; border: 1px solid #d6b57a; background: #fff; color: #92400e; border-radius: 14px;
      padding: 1px 10px; font-size: 12px;
    }
    button:focus-visible, a:focus-visible { outline: 2px solid #2563eb; outline-offset: 2px; }
    a { color: #1d4ed8; }
    .postguard-backdrop {
      position: fixed; inset: 0; background: rgba(15, 23, 42, 0.35); pointer-events: auto;
      display: flex; align-items: center; justify-content: center;
    }
    .postguard-dialog {
      width: min(420px, calc(100vw - 32px)); background: #fff; border-radius: 10px; padding: 16px 18px;
      font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2937;
      box-shadow: 0 12px 40px rgba(15, 23, 42, 0.3); border-top: 4px solid #d97706;
    }
    .postguard-dialog h2 { font-size: 16px; margin: 0 0 8px; }
    .postguard-dialog p { margin: 0 0 14px; }
    .postguard-actions { display: flex; gap: 8px; justify-content: flex-end; }
    .postguard-actions button { font-size: 14px; padding: 5px 14px; border-radius: 16px; }
    .postguard-actions .postguard-primary { background: #1e5ea8; border-color: #1e5ea8; color: #fff; }
    .postguard-actions .postguard-secondary { color: #374151; border-color: #9ca3af; }
  `;

  function ensureHost(state) {
    const parent = state.editor.parentElement ?? document.body ?? document.documentElement;
    if (!state.host) {
      const host = document.createElement("postguard-panel");
      state.shadow = host.attachShadow({ mode: "open" });
      state.host = host;
    }
    // Outside the editor: Quill, Lexical and ProseMirror drop or corrupt foreign nodes.
    if (state.host.parentNode !== parent) parent.append(state.host);
    return state.host;
  }

  function removeHost(state) {
    state.host?.remove();
  }

  function setHostFrame(host, interactive) {
    host.style.setProperty("position", "fixed", "important");
    host.style.setProperty("z-index", "2147483647", "important");
    host.style.setProperty("display", "block", "important");
    host.style.setProperty("margin", "0", "important");
    host.style.setProperty("pointer-events", interactive ? "auto" : "none", "important");
  }

  /** Show the editor's findings, its offline notice, or nothing. */
  function render(state) {
    const active = isActive(state) && state.editor.isConnected;
    const mode = !active ? null : state.findings.length ? "warning" : state.offline ? "offline" : null;
    if (!mode) {
      removeHost(state);
      reportBadge();
      return;
    }
    const host = ensureHost(state);
    setHostFrame(host, false);
    host.setAttribute("data-postguard", mode);
    if (mode === "warning") {
      host.setAttribute("data-postguard-topics", [...new Set(state.findings.map((finding) => finding.topic))].join(","));
    } else {
      host.removeAttribute("data-postguard-topics");
    }
    const card = mode === "warning" ? warningCard(state) : offlineCard(state);
    state.shadow.replaceChildren(el("style", "", STYLE + FEEDBACK_STYLE), card);
    placePanel(state);
    reportBadge();
  }

  function offlineCard(state) {
    const t = shared.t;
    const card = el("div", "postguard-card postguard-offline");
    card.setAttribute("role", "status");
    card.dataset.postguardReason = state.unpaired ? "unpaired" : "unreachable";
    card.append(el("span", "postguard-mark", "Postguard · "), t(state.unpaired ? "unpairedNotice" : "offlineNotice"));
    return card;
  }

  function warningCard(state) {
    const t = shared.t;
    const card = el("div", "postguard-card");
    card.setAttribute("role", "region");
    card.setAttribute("aria-label", t("panelLabel"));
    const header = el("div", "postguard-header");
    const heading = el("p", "postguard-heading");
    heading.setAttribute("aria-live", "polite");
    heading.append(el("span", "postguard-mark", "Postguard · "), t(state.findings.length === 1 ? "panelHeadingOne" : "panelHeadingMany", state.findings.length));
    const toggle = el("button", "postguard-toggle", t(state.collapsed ? "showDetails" : "hideDetails"));
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", String(!state.collapsed));
    toggle.addEventListener("click", () => {
      state.collapsed = !state.collapsed;
      render(state);
    });
    header.append(heading, toggle);
    card.append(header);
    if (state.collapsed) return card;
    for (const finding of state.findings) card.append(findingSection(state, finding));
    card.append(el("p", "postguard-footer", t("panelFooter")));
    return card;
  }

  function findingSection(state, finding) {
    const t = shared.t;
    const section = el("section", "postguard-finding");
    section.dataset.postguardTopic = String(finding.topic);
    section.append(el("h2", "postguard-title", finding.title));
    section.append(el("p", "postguard-intro", t("findingIntro", finding.title)));
    section.append(el("blockquote", "postguard-quote", quote(state.checkedText ?? "", finding)));
    if (finding.message) section.append(el("p", "postguard-line", finding.message));
    section.append(labelled("postguard-guideline", t("guidelineLabel"), finding.guideline));
    section.append(labelled("postguard-alternative", t("alternativeLabel"), finding.alternative));
    section.append(askBeforePosting(state, finding));
    section.append(learnLinks(finding));

    const key = `${finding.topic}:${finding.offset}`;
    const why = el("button", "postguard-why", t("whyButton"));
    why.type = "button";
    why.setAttribute("aria-expanded", String(state.openWhy.has(key)));
    const evidence = el("p", "postguard-evidence", t("evidenceIntro", (finding.evidence ?? []).map((term) => t("quoted", term)).join(", ")));
    evidence.hidden = !state.openWhy.has(key);
    why.addEventListener("click", () => {
      if (state.openWhy.has(key)) state.openWhy.delete(key);
      else state.openWhy.add(key);
      evidence.hidden = !state.openWhy.has(key);
      why.setAttribute("aria-expanded", String(!evidence.hidden));
      placePanel(state);
    });
    section.append(why, evidence);
    section.append(feedbackRow(state, finding));
    return section;
  }

  function labelled(className, label, text) {
    const line = el("p", `postguard-line ${className}`);
    line.append(el("span", "postguard-label", `${label} `), String(text ?? ""));
    return line;
  }

  /** The flagged sentence as the person wrote it; offsets are UTF-16 units, like JS strings. */
  function quote(text, finding) {
    const sentence = text.slice(finding.offset, finding.offset + finding.length).replace(/\s+/g, " ").trim();
    const short = sentence.length > QUOTE_MAX_CHARS ? `${sentence.slice(0, QUOTE_MAX_CHARS - 1)}…` : sentence;
    return shared.t("quoted", short);
  }

  // ---- asking the topic's contact before posting -----------------------------------------

  /** Who to ask about the topic, with a mail (draft only if ticked) and a chat link. */
  function askBeforePosting(state, finding) {
    const t = shared.t;
    const contact = finding.contact ?? {};
    const block = el("div", "postguard-ask-block");
    const who = el("p", "postguard-line postguard-contact");
    who.append(el("span", "postguard-label", `${t("contactLabel")} `), String(contact.name ?? ""));
    if (contact.role) who.append(` (${contact.role})`);
    block.append(who);
    const actions = el("p", "postguard-line postguard-ask-actions");
    let draftChoice = null;
    if (Ask.isEmail(contact.email)) {
      const mail = el("a", "postguard-ask postguard-mail", t("askBeforePosting"));
      const include = el("input", "postguard-include-draft");
      include.type = "checkbox";
      include.checked = state.includeDraft;
      draftChoice = el("label", "postguard-line postguard-include-label");
      draftChoice.append(include, t("askIncludeDraft"));
      const refresh = () => {
        mail.href = askMailto(state, finding, contact);
      };
      include.addEventListener("change", () => {
        state.includeDraft = include.checked;
        refresh();
      });
      mail.addEventListener("click", refresh); // the draft as it is at this moment
      refresh();
      actions.append(mail);
    }
    if (Ask.isWebLink(contact.url)) {
      const chat = el("a", "postguard-chat postguard-link", t("askChat"));
      chat.href = contact.url;
      chat.target = "_blank";
      chat.rel = "noopener noreferrer";
      actions.append(chat);
    }
    if (actions.childNodes.length) block.append(actions);
    if (draftChoice) block.append(draftChoice);
    return block;
  }

  function askMailto(state, finding, contact) {
    const t = shared.t;
    let body = t("askMailBody", contact.name ?? "", finding.title);
    if (state.includeDraft) body += `\n\n${t("askMailDraft")}\n\n${Ask.draftForMail(readText(state.editor))}`;
    return Ask.mailto(contact.email, t("askMailSubject", finding.title), body);
  }

  // ---- the guidelines and the practice, one click from a note -----------------------------

  function learnLinks(finding) {
    const t = shared.t;
    const line = el("p", "postguard-line postguard-learn");
    const guidelines = el("button", "postguard-open-guidelines", t("openGuidelines"));
    guidelines.type = "button";
    guidelines.addEventListener("click", () => send({ type: "openPage", page: "guidelines", topic: finding.topic }));
    const practice = el("button", "postguard-open-practice", t("openPractice"));
    practice.type = "button";
    practice.addEventListener("click", () => send({ type: "openPage", page: "practice", topic: finding.topic }));
    line.append(guidelines, practice);
    return line;
  }

  // ---- feedback: "This is fine" ----------------------------------------------------------

  const FEEDBACK_STYLE = `
    .postguard-feedback { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 10px; margin-top: 6px; }
    .postguard-share-label { display: inline-flex; align-items: center; gap: 4px; font-size: 12px; color: #4b5563; pointer-events: auto; }
    .postguard-share-label input { margin: 0; pointer-events: auto; }
  `;

  /** "This is fine" and an unticked "share this sentence" box: anonymous feedback for comms. */
  function feedbackRow(state, finding) {
    const t = shared.t;
    const row = el("div", "postguard-feedback");
    const fine = el("button", "postguard-fine", t("thisIsFine"));
    fine.type = "button";
    fine.title = t("thisIsFineTitle");
    fine.dataset.postguardAction = "this-is-fine";
    const label = el("label", "postguard-share-label");
    const share = el("input", "postguard-share");
    share.type = "checkbox"; // unticked: by default only the topic is counted
    label.append(share, t("shareSentence"));
    fine.addEventListener("click", () => reportFine(state, finding, share.checked));
    row.append(fine, label);
    return row;
  }

  /** Count the report (with the sentence only if shared), then stop showing the finding. */
  function reportFine(state, finding, shareSentence) {
    const sentence = flaggedSentence(state.checkedText ?? "", finding);
    const message = { type: "feedback", kind: "false_alarm", topic: finding.topic };
    if (shareSentence && sentence) message.text = sentence;
    send(message); // the answer changes nothing for the person
    state.dismissed.add(dismissKey(finding.topic, sentence));
    state.findings = state.findings.filter((other) => other !== finding);
    render(state);
  }

  /** Findings the person has not marked "This is fine" for this sentence already. */
  function withoutDismissed(state, text, findings) {
    if (!state.dismissed.size) return findings;
    return findings.filter((finding) => !state.dismissed.has(dismissKey(finding.topic, flaggedSentence(text, finding))));
  }

  function flaggedSentence(text, finding) {
    return text.slice(finding.offset, finding.offset + finding.length).replace(/\s+/g, " ").trim();
  }

  function dismissKey(topic, sentence) {
    return `${topic}\n${sentence}`;
  }

  // ---- placing the panel ---------------------------------------------------------------

  function overlap(a, b) {
    const width = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const height = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    return width > 0 && height > 0 ? width * height : 0;
  }

  /** Move a fixed host to viewport coordinates, even inside a transformed ancestor. */
  function moveHost(host, left, top) {
    host.style.setProperty("left", `${left}px`, "important");
    host.style.setProperty("top", `${top}px`, "important");
    const actual = host.getBoundingClientRect();
    // A transformed ancestor becomes the containing block of position:fixed; correct for it.
    if (Math.abs(actual.left - left) > 0.5 || Math.abs(actual.top - top) > 0.5) {
      host.style.setProperty("left", `${left + (left - actual.left)}px`, "important");
      host.style.setProperty("top", `${top + (top - actual.top)}px`, "important");
    }
  }

  const visibleRects = (elements) =>
    elements.map((element) => element.getBoundingClientRect()).filter((rect) => rect.width > 0 && rect.height > 0);

  /**
   * Place the panel next to its editor: never on the post control, preferably on none of
   * the composer's other controls and not on the text itself.
   */
  function placePanel(state) {
    const host = state.host;
    if (!host?.isConnected) return;
    const editorRect = state.editor.getBoundingClientRect();
    const viewportWidth = document.documentElement.clientWidth || innerWidth;
    const viewportHeight = document.documentElement.clientHeight || innerHeight;
    const editorShown = editorRect.width > 0 && editorRect.bottom > 0 && editorRect.top < viewportHeight;
    if (!editorShown) {
      host.style.setProperty("visibility", "hidden", "important"); // scrolled away or hidden
      return;
    }
    host.style.removeProperty("visibility");
    const width = Math.min(PANEL_WIDTH_PX, viewportWidth - 2 * GAP_PX);
    host.style.setProperty("width", `${width}px`, "important");
    const height = host.getBoundingClientRect().height;
    const postControls = Sites.findPostControls(state.label);
    const postRects = visibleRects(postControls);
    const otherRects = visibleRects(
      [...(state.label.container?.querySelectorAll(OTHER_CONTROLS) ?? [])].filter(
        (element) => !postControls.some((control) => control.contains(element)) && !state.editor.contains(element),
      ),
    );
    const clamp = (value, low, high) => Math.max(low, Math.min(value, high));
    const covered = (rect, rects) => rects.reduce((sum, other) => sum + overlap(rect, other), 0);
    const candidates = [
      [editorRect.left, editorRect.bottom + GAP_PX],
      [editorRect.right - width, editorRect.bottom + GAP_PX],
      [editorRect.right + GAP_PX, editorRect.top],
      [editorRect.left - width - GAP_PX, editorRect.top],
      [editorRect.left, editorRect.top - height - GAP_PX],
    ].map(([left, top]) => {
      const x = clamp(left, GAP_PX, viewportWidth - width - GAP_PX);
      const y = clamp(top, GAP_PX, Math.max(GAP_PX, viewportHeight - height - GAP_PX));
      const rect = { left: x, top: y, right: x + width, bottom: y + height };
      const onPost = covered(rect, postRects);
      const onOthers = covered(rect, otherRects);
      return { x, y, onControls: onPost + onOthers, cost: onPost * 1000 + onOthers * 20 + overlap(rect, editorRect) * 4 };
    });
    const best = candidates.reduce((a, b) => (b.cost < a.cost ? b : a));
    moveHost(host, best.x, best.y);
    // Where the panel lies on a control it lets clicks through, except on its own buttons.
    state.shadow.querySelector(".postguard-card")?.classList.toggle("postguard-interactive", best.onControls === 0);
  }

  function queueReposition() {
    if (shared.repositionQueued) return;
    shared.repositionQueued = true;
    requestAnimationFrame(() => {
      shared.repositionQueued = false;
      for (const state of liveStates()) if (state.host?.isConnected) placePanel(state);
    });
  }

  // ---- badge ---------------------------------------------------------------------------

  function reportBadge() {
    const count = liveStates()
      .filter((state) => state.host?.isConnected)
      .reduce((sum, state) => sum + state.findings.length, 0);
    if (count === shared.badgeCount) return;
    shared.badgeCount = count;
    send({ type: "badge", count });
  }

  // ---- asking before posting -----------------------------------------------------------

  function stop(event) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  /** The watched editor whose post control this is, if any. */
  function stateForControl(target) {
    for (const state of liveStates()) {
      if (!isActive(state)) continue;
      state.label = Sites.labelEditor(state.editor, location.hostname);
      const control = Sites.postControlFor(state.label, target);
      if (control) return { state, control };
    }
    return null;
  }

  /** Gate a post: wait for a check still on its way, ask when findings are open, else let it go. */
  function gate(event, state, proceed) {
    if (isPending(state) && !state.offline && readText(state.editor).trim().length >= MIN_CHARS) {
      stop(event);
      settle(state).then(() => {
        if (state.findings.length) openConfirm(state, proceed);
        else proceed();
      });
      return;
    }
    if (state.findings.length) {
      stop(event);
      openConfirm(state, proceed);
    }
  }

  function onClick(event) {
    const target = eventTarget(event);
    if (shared.bypass && shared.bypass === target) return;
    if (shared.confirm) return;
    const match = stateForControl(target);
    if (!match) return;
    const { state, control } = match;
    gate(event, state, () => replayClick(control));
  }

  function replayClick(control) {
    if (!control.isConnected) return;
    shared.bypass = control;
    try {
      control.click();
    } finally {
      shared.bypass = null;
    }
  }

  function onKeyDown(event) {
    if (event.key !== "Enter" || event === shared.bypass) return;
    const editor = editorFrom(eventTarget(event));
    const state = editor && shared.states.get(editor);
    if (!state || !isActive(state)) return;
    state.label = Sites.labelEditor(state.editor, location.hostname);
    if (!Sites.isSubmitKey(state.label, event)) return;
    if (shared.confirm) {
      stop(event);
      return;
    }
    const keys = { key: event.key, code: event.code, ctrlKey: event.ctrlKey, metaKey: event.metaKey };
    gate(event, state, () => replayKey(state, keys));
    if (event.defaultPrevented) shared.swallowEnterUp = true;
  }

  function onKeyUpOrPress(event) {
    if (event.key !== "Enter" || !shared.swallowEnterUp || event === shared.bypass) return;
    stop(event);
    if (event.type === "keyup") shared.swallowEnterUp = false;
  }

  /** Send the site the Enter it would have had, so that its own handler posts. */
  function replayKey(state, keys) {
    if (!state.editor.isConnected) return;
    state.editor.focus();
    for (const type of ["keydown", "keypress", "keyup"]) {
      const replay = new KeyboardEvent(type, { ...keys, keyCode: 13, which: 13, bubbles: true, cancelable: true, composed: true });
      shared.bypass = replay;
      try {
        state.editor.dispatchEvent(replay);
      } finally {
        shared.bypass = null;
      }
    }
  }

  /** Ask "Edit" or "Post anyway"; `proceed` runs the site's own post action. */
  function openConfirm(state, proceed) {
    closeConfirm();
    const t = shared.t;
    const selection = document.getSelection();
    const savedRange = selection?.rangeCount ? selection.getRangeAt(0).cloneRange() : null;

    const host = document.createElement("postguard-confirm");
    host.setAttribute("data-postguard", "confirm");
    setHostFrame(host, true);
    host.style.setProperty("inset", "0", "important");
    const shadow = host.attachShadow({ mode: "open" });
    const backdrop = el("div", "postguard-backdrop");
    const dialog = el("div", "postguard-dialog");
    dialog.setAttribute("role", "alertdialog");
    dialog.setAttribute("aria-modal", "true");
    const title = el("h2", "postguard-confirm-title", t("confirmTitle"));
    title.id = "postguard-confirm-title";
    dialog.setAttribute("aria-labelledby", title.id);
    const titles = [...new Set(state.findings.map((finding) => finding.title))].join(", ");
    const body = el("p", "postguard-confirm-body", t("confirmBody", titles));
    const actions = el("div", "postguard-actions");
    const edit = el("button", "postguard-primary", t("confirmEdit"));
    edit.type = "button";
    edit.dataset.postguardAction = "edit";
    const postAnyway = el("button", "postguard-secondary", t("confirmPostAnyway"));
    postAnyway.type = "button";
    postAnyway.dataset.postguardAction = "post-anyway";
    actions.append(edit, postAnyway);
    dialog.append(title, body, actions);
    backdrop.append(dialog);
    shadow.append(el("style", "", STYLE), backdrop);

    const restoreFocus = () => {
      if (!state.editor.isConnected) return;
      state.editor.focus();
      if (savedRange && state.editor.contains(savedRange.startContainer)) {
        const current = document.getSelection();
        current.removeAllRanges();
        current.addRange(savedRange);
      }
    };
    // Nothing about the choice is recorded: the buttons only close, or close and post.
    edit.addEventListener("click", () => {
      closeConfirm();
      restoreFocus();
    });
    postAnyway.addEventListener("click", () => {
      closeConfirm();
      restoreFocus();
      proceed();
    });
    backdrop.addEventListener("click", (event) => {
      if (event.target === backdrop) edit.click();
    });
    shadow.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        stop(event);
        edit.click();
      }
    });

    // Inside the editor's own dialog where there is one, so that a modal site dialog
    // neither hides it nor takes a click on it for a click outside.
    const parent = state.editor.closest("[role=dialog], dialog") ?? document.body ?? document.documentElement;
    parent.append(host);
    shared.confirm = host;
    edit.focus();
  }

  function closeConfirm() {
    shared.confirm?.remove();
    shared.confirm = null;
  }

  // ---- wiring --------------------------------------------------------------------------

  // Capture phase on window: runs before the site's own handlers, also for editors and
  // post controls that a single-page app inserts later.
  window.addEventListener("focusin", onFocusOrInput, true);
  window.addEventListener("input", onFocusOrInput, true);
  window.addEventListener("click", onClick, true);
  window.addEventListener("keydown", onKeyDown, true);
  window.addEventListener("keypress", onKeyUpOrPress, true);
  window.addEventListener("keyup", onKeyUpOrPress, true);
  window.addEventListener("scroll", queueReposition, { capture: true, passive: true });
  window.addEventListener("resize", queueReposition, { passive: true });
  window.addEventListener("pagehide", () => {
    if (shared.badgeCount) send({ type: "badge", count: 0 });
    shared.badgeCount = 0;
  });
})();
