/*
 * The site table: what Postguard knows about LinkedIn's and Facebook's markup.
 *
 * Editors are found generically (content.js); this table only labels an editor as a
 * post, comment or message and says where its post control is and whether the site
 * posts on Enter. When a site changes its markup, this is the one file to change.
 * Plain DOM code without extension APIs, so it can be tested against saved HTML.
 */
(function (root) {
  "use strict";

  // Facebook labels its post control in the reader's language.
  const FACEBOOK_POST_LABELS = ["Post", "Posten", "Publier", "Publicar", "Pubblica", "Plaatsen", "Opublikuj", "Share", "Teilen"];
  const FACEBOOK_COMMENT_LABELS = ["Comment", "Kommentieren", "Kommentar senden", "Submit", "Senden"];
  const FACEBOOK_SEND_LABELS = ["Press Enter to send", "Send", "Senden", "Zum Senden Eingabetaste drücken"];

  const byAriaLabel = (labels, tag = "[role=button]") => labels.map((label) => `${tag}[aria-label="${label}" i]`);

  /**
   * Each rule: `editor` is a selector the editor matches; `inside`, if given, an ancestor
   * it must have; `within` finds its container (the nearest such ancestor that holds a
   * post control, else the nearest); `controls` are selectors for its post control inside
   * that container; `submitKeys` lists "Enter" and/or "Mod+Enter" where the site posts on
   * a key. The first matching rule wins.
   */
  const SITES = [
    {
      id: "linkedin",
      hosts: ["linkedin.com"],
      rules: [
        {
          kind: "message",
          editor: ".msg-form__contenteditable, .msg-form [role=textbox], .msg-form textarea",
          within: ".msg-form, form",
          controls: ["button.msg-form__send-button", "button[type=submit]"],
          submitKeys: ["Enter"],
        },
        {
          kind: "comment",
          editor: "[role=textbox], [contenteditable=true], textarea",
          inside: ".comments-comment-box, .comments-comment-texteditor, [class*='comments-comment-box']",
          within: "form.comments-comment-box__form, .comments-comment-box, form",
          controls: [
            "button.comments-comment-box__submit-button",
            "button[class*='comments-comment-box__submit-button']",
            "button[type=submit]",
          ],
          submitKeys: [],
        },
        {
          kind: "post",
          editor: ".ql-editor, [data-test-ql-editor-contenteditable], [role=textbox][aria-label^='Text editor for creating' i]",
          inside: ".share-box, .share-creation-state, [role=dialog]",
          within: ".share-box, [role=dialog]",
          controls: [
            "button.share-actions__primary-action",
            ".share-actions button[aria-label='Post' i]",
            ".share-box_actions button.artdeco-button--primary",
            "[role=dialog] button.artdeco-button--primary[aria-label='Post' i]",
          ],
          submitKeys: [],
        },
        {
          kind: "comment",
          // the 2026 feed gives comment boxes the composer's aria-label, outside any dialog
          editor: ".ql-editor, [role=textbox][aria-label^='Text editor for creating' i]",
          within: "form.comments-comment-box__form, .comments-comment-box, form",
          controls: [
            "button.comments-comment-box__submit-button",
            "button[class*='comments-comment-box__submit-button']",
            "button[type=submit]",
          ],
          submitKeys: [],
        },
      ],
    },
    {
      id: "facebook",
      hosts: ["facebook.com"],
      rules: [
        {
          kind: "message",
          editor: "[role=textbox][aria-label='Message' i], [role=textbox][aria-label^='Nachricht' i], [role=textbox][aria-label='Aa']",
          within: "form, [role=main], [role=complementary]",
          controls: byAriaLabel(FACEBOOK_SEND_LABELS),
          submitKeys: ["Enter"],
        },
        {
          kind: "comment",
          editor: "[role=textbox][aria-label^='Write a' i], [role=textbox][aria-label*='comment' i], [role=textbox][aria-label*='Kommentar' i], [role=textbox][aria-label^='Reply' i], [role=textbox][aria-label^='Antwort' i]",
          within: "form, [role=article]",
          controls: [...byAriaLabel(FACEBOOK_COMMENT_LABELS), "[type=submit]"],
          submitKeys: ["Enter"],
        },
        {
          kind: "post",
          editor: "[role=textbox][data-lexical-editor=true], [role=textbox][contenteditable=true]",
          within: "[role=dialog], form",
          controls: [...byAriaLabel(FACEBOOK_POST_LABELS), "[role=dialog] [type=submit]"],
          submitKeys: [],
        },
      ],
    },
  ];

  // For editors no rule knows: a form's submit button is the only safe guess.
  const GENERIC_RULE = Object.freeze({
    kind: "post",
    editor: "*",
    within: "form, [role=dialog], dialog",
    controls: ["button[type=submit]", "input[type=submit]"],
    submitKeys: [],
  });

  const CONTROL_SELECTOR = "button, [role=button], input[type=submit]";
  const MAX_CONTAINER_DEPTH = 8;

  /** The site entry for a host name like "www.linkedin.com", or null. */
  function siteForHost(hostname) {
    const host = String(hostname).toLowerCase();
    return SITES.find((site) => site.hosts.some((known) => host === known || host.endsWith(`.${known}`))) ?? null;
  }

  const holdsControl = (element, rule) => rule.controls.some((selector) => element.querySelector(selector));

  /**
   * The editor's container: the nearest `within` ancestor holding a post control, else the
   * nearest `within` ancestor (controls often appear only once there is text), else the
   * nearest ancestor holding a control.
   */
  function findContainer(editor, rule) {
    let nearest = null;
    for (let ancestor = editor.parentElement?.closest(rule.within); ancestor; ancestor = ancestor.parentElement?.closest(rule.within)) {
      if (holdsControl(ancestor, rule)) return ancestor;
      nearest ??= ancestor;
    }
    if (nearest) return nearest;
    let ancestor = editor.parentElement;
    for (let depth = 0; ancestor && depth < MAX_CONTAINER_DEPTH; depth += 1) {
      if (holdsControl(ancestor, rule)) return ancestor;
      ancestor = ancestor.parentElement;
    }
    return editor.parentElement;
  }

  function matchRule(editor, rule) {
    if (!editor.matches(rule.editor)) return false;
    return !rule.inside || Boolean(editor.parentElement?.closest(rule.inside));
  }

  /**
   * Label an editor: {site, kind, rule, container}. On an unknown host (say, a copy of
   * a site's markup) every site's rules are tried; site is then the one whose rule matched.
   */
  function labelEditor(editor, hostname) {
    const hostSite = siteForHost(hostname);
    for (const site of hostSite ? [hostSite] : SITES) {
      const rule = site.rules.find((candidate) => matchRule(editor, candidate));
      if (rule) return { site: site.id, kind: rule.kind, rule, container: findContainer(editor, rule) };
    }
    return { site: hostSite?.id ?? "other", kind: GENERIC_RULE.kind, rule: GENERIC_RULE, container: findContainer(editor, GENERIC_RULE) };
  }

  /** The post controls currently in the editor's container (often none until text is typed). */
  function findPostControls(label) {
    if (!label.container) return [];
    const found = new Set();
    for (const selector of label.rule.controls) {
      for (const element of label.container.querySelectorAll(selector)) found.add(element);
    }
    return [...found];
  }

  /** The post control that an event target belongs to, if it is one for this editor. */
  function postControlFor(label, target) {
    const control = target?.closest?.(CONTROL_SELECTOR);
    if (!control || !label.container?.contains(control)) return null;
    return label.rule.controls.some((selector) => control.matches(selector)) ? control : null;
  }

  /** True when this keydown posts on this editor's site ("Enter", or "Mod+Enter" for Ctrl/Cmd+Enter). */
  function isSubmitKey(label, event) {
    if (event.key !== "Enter" || event.isComposing || event.altKey || event.shiftKey) return false;
    const withModifier = event.ctrlKey || event.metaKey;
    return label.rule.submitKeys.some((spec) => (spec === "Mod+Enter" ? withModifier : !withModifier));
  }

  root.PostguardSites = { sites: SITES, siteForHost, labelEditor, findPostControls, postControlFor, isSubmitKey };
})(globalThis);
