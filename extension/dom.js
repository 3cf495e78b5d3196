/*
 * Building elements for the compose-box panel and the extension's pages: text always goes in
 * as textContent, so nothing a server or a post says is ever parsed as markup.
 */
(function (root) {
  "use strict";

  root.PostguardDom = {
    /** An element with an optional class and text. */
    el(tag, className, text) {
      const element = document.createElement(tag);
      if (className) element.className = className;
      if (text !== undefined) element.textContent = text;
      return element;
    },
  };
})(globalThis);
