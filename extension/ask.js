/*
 * Postguard "Ask before posting": mail and chat links to a topic's contact person.
 * Loaded by the content script and the guidelines page. The draft goes into a mail only
 * when the person ticks the box, and then only to their own mail program.
 */
(function (root) {
  "use strict";

  const EMAIL = /^[^\s@?&#]+@[^\s@?&#]+$/;
  const WEB_LINK = /^https?:\/\//i;
  // Mail programs cut long mailto: links; a draft longer than this is shortened.
  const DRAFT_MAX_CHARS = 1500;

  const Ask = {
    /** True for a plain address that can go into a mailto: link as it is. */
    isEmail(value) {
      return typeof value === "string" && EMAIL.test(value);
    },

    /** True for an http(s) link, such as a chat link. */
    isWebLink(value) {
      return typeof value === "string" && WEB_LINK.test(value);
    },

    /** A mailto: link with subject and body. */
    mailto(email, subject, body = "") {
      const fields = [`subject=${encodeURIComponent(subject)}`];
      if (body) fields.push(`body=${encodeURIComponent(body)}`);
      return `mailto:${email}?${fields.join("&")}`;
    },

    /** The draft as it goes into a mail: trimmed, and shortened when very long. */
    draftForMail(text) {
      const draft = String(text ?? "").trim();
      return draft.length > DRAFT_MAX_CHARS ? `${draft.slice(0, DRAFT_MAX_CHARS - 1)}…` : draft;
    },
  };

  root.PostguardAsk = Ask;
})(globalThis);
