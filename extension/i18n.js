/*
 * Postguard UI strings from _locales/{de,en}/messages.json.
 * "auto" uses the browser's own i18n; a chosen language loads that locale's file,
 * because chrome.i18n always follows the browser's language.
 */
(function (root) {
  "use strict";

  const api = root.browser ?? root.chrome;

  /** Fill a messages.json entry: named $placeholders$ first, then $1..$9. */
  function format(entry, substitutions) {
    let text = entry.message;
    for (const [name, placeholder] of Object.entries(entry.placeholders ?? {})) {
      text = text.replaceAll(new RegExp(`\\$${name}\\$`, "gi"), () => placeholder.content);
    }
    return text.replace(/\$(\d)/g, (match, digit) => substitutions[Number(digit) - 1] ?? "");
  }

  /** Load one locale's messages: directly on extension pages, via the service worker elsewhere. */
  async function loadMessages(language) {
    const onExtensionPage = root.location?.href?.startsWith(api.runtime.getURL(""));
    if (onExtensionPage) {
      const response = await fetch(api.runtime.getURL(`_locales/${language}/messages.json`));
      return response.json();
    }
    const reply = await api.runtime.sendMessage({ type: "locale", language });
    return reply?.ok ? reply.messages : null;
  }

  const I18n = {
    /** A function t(key, ...substitutions) for the given setting ("auto", "de", "en"). */
    async translator(language) {
      let messages = null;
      if (language === "de" || language === "en") {
        try {
          messages = await loadMessages(language);
        } catch {
          messages = null; // fall back to the browser's language
        }
      }
      return (key, ...substitutions) => {
        const entry = messages?.[key];
        if (entry) return format(entry, substitutions.map(String));
        return api.i18n.getMessage(key, substitutions.map(String)) || key;
      };
    },

    /** Set textContent of every [data-postguard-i18n] element below root. */
    localise(rootElement, t) {
      for (const element of rootElement.querySelectorAll("[data-postguard-i18n]")) {
        element.textContent = t(element.dataset.postguardI18n);
      }
      for (const element of rootElement.querySelectorAll("[data-postguard-i18n-title]")) {
        element.title = t(element.dataset.postguardI18nTitle);
      }
    },
  };

  root.PostguardI18n = I18n;
})(globalThis);
