/*
 * The guidelines page: the company's do's and don'ts, each topic with posts that are fine and
 * posts better kept internal (the examples comms marked as shareable), who to ask, launches,
 * and a word on mistakes. German and English, whichever the person picks.
 */
(async function () {
  "use strict";

  const api = globalThis.browser ?? globalThis.chrome;
  const Settings = globalThis.PostguardSettings;
  const I18n = globalThis.PostguardI18n;
  const Ask = globalThis.PostguardAsk;
  const { el } = globalThis.PostguardDom;

  const focusTopic = new URLSearchParams(location.search).get("topic") ?? "";
  const settings = await Settings.load();
  const reply = await api.runtime.sendMessage({ type: "guidelines" }).catch(() => null);
  document.getElementById("guidelines-loading").hidden = true;

  function fillList(list, items) {
    list.replaceChildren(...items.map((item) => el("li", "", item)));
  }

  /** The examples in the page's language, or all of them when there are none in it. */
  function inLanguage(examples, language) {
    const matching = examples.filter((example) => example.lang === language);
    return matching.length ? matching : examples;
  }

  function formatDate(isoDate, language) {
    const date = new Date(`${isoDate}T00:00:00`);
    return Number.isNaN(date.getTime()) ? isoDate : date.toLocaleDateString(language, { day: "numeric", month: "long", year: "numeric" });
  }

  /** Name (role) · mail · chat of a contact, as links. */
  function contactLine(line, contact, subject, t, language) {
    line.replaceChildren();
    if (!contact) return;
    line.append(String(contact.name ?? ""));
    const role = typeof contact.role === "object" ? contact.role?.[language] : contact.role;
    if (role) line.append(` (${role})`);
    if (Ask.isEmail(contact.email)) {
      const mail = el("a", "postguard-mail", contact.email);
      mail.href = Ask.mailto(contact.email, subject);
      line.append(" · ", mail);
    }
    if (Ask.isWebLink(contact.url)) {
      const chat = el("a", "postguard-chat", t("askChat"));
      chat.href = contact.url;
      chat.target = "_blank";
      chat.rel = "noopener noreferrer";
      line.append(" · ", chat);
    }
  }

  function exampleList(className, examples) {
    const list = el("ul", `postguard-examples ${className}`);
    list.append(...examples.map((example) => el("li", "", example.text)));
    return list;
  }

  function topicCard(topic, examples, t, language) {
    const text = (texts) => texts?.[language] ?? texts?.en ?? "";
    const card = el("section", "postguard-card postguard-topic");
    card.id = `topic-${topic.id}`;
    card.dataset.postguardTopic = topic.id;
    card.append(el("h2", "postguard-topic-title", text(topic.title)));
    card.append(el("p", "postguard-guideline", text(topic.guideline)));
    const speakers = el("p", "postguard-speakers");
    speakers.append(el("strong", "", `${t("guidelinesSpeakers")} `), text(topic.speakers));
    const alternative = el("p", "postguard-alternative");
    alternative.append(el("strong", "", `${t("alternativeLabel")} `), text(topic.alternative));
    card.append(speakers, alternative);

    const own = examples.filter((example) => example.topic === topic.id);
    const fine = inLanguage(own.filter((example) => example.verdict === "fine"), language);
    const betterNot = inLanguage(own.filter((example) => example.verdict === "better_not"), language);
    if (fine.length) card.append(el("h3", "", t("guidelinesFine")), exampleList("postguard-fine", fine));
    if (betterNot.length) card.append(el("h3", "", t("guidelinesBetterNot")), exampleList("postguard-better-not", betterNot));

    const ask = el("p", "postguard-topic-contact");
    const who = el("span");
    contactLine(who, topic.contact, t("guidelinesMailSubject", text(topic.title)), t, language);
    ask.append(el("strong", "", `${t("guidelinesAsk")} `), who);
    const practice = el("a", "postguard-practice-topic", t("openPractice"));
    practice.href = `practice.html?topic=${encodeURIComponent(topic.id)}`;
    const practiceLine = el("p", "postguard-practice-line");
    practiceLine.append(practice);
    card.append(ask, practiceLine);
    return card;
  }

  function render(body, t, language) {
    const examples = Array.isArray(body.examples) ? body.examples : [];
    document.getElementById("company-intro").textContent = t("guidelinesIntro", body.company ?? "");
    fillList(document.getElementById("dos"), body.dos?.[language] ?? []);
    fillList(document.getElementById("donts"), body.donts?.[language] ?? []);

    const launches = Array.isArray(body.launches) ? body.launches : [];
    fillList(
      document.getElementById("launch-list"),
      launches.map((launch) => t("guidelinesLaunchSince", launch.term, formatDate(launch.since, language))),
    );
    document.getElementById("launches").hidden = launches.length === 0;

    const topics = document.getElementById("topics");
    topics.replaceChildren(...(body.topics ?? []).map((topic) => topicCard(topic, examples, t, language)));

    const general = inLanguage(examples.filter((example) => example.verdict === "fine" && !example.topic), language);
    document.getElementById("fine-general-list").replaceChildren(...general.map((example) => el("li", "", example.text)));
    document.getElementById("fine-general").hidden = general.length === 0;

    contactLine(document.getElementById("general-contact-line"), body.contact, t("guidelinesMailSubject", body.company ?? ""), t, language);
    document.getElementById("guidelines").hidden = false;
  }

  async function show(language) {
    const t = await I18n.translator(language);
    document.documentElement.lang = language;
    I18n.localise(document, t);
    for (const option of ["de", "en"]) {
      document.getElementById(`show-${option}`).setAttribute("aria-pressed", String(option === language));
    }
    if (!reply?.ok) {
      document.getElementById("guidelines-unavailable").hidden = false;
      return;
    }
    render(reply.guidelines ?? {}, t, language);
  }

  document.getElementById("show-de").addEventListener("click", () => show("de"));
  document.getElementById("show-en").addEventListener("click", () => show("en"));
  await show(Settings.resolveLanguage(settings));

  const focused = focusTopic && document.getElementById(`topic-${focusTopic}`);
  if (focused) {
    focused.classList.add("postguard-focus");
    focused.scrollIntoView({ block: "start" });
  }
})();
