/*
 * "Two minutes of practice": five short posts from the company's shareable examples; the person
 * decides "fine" or "better not" and sees at once what the guidelines say. A new set each week.
 * Answers stay in this browser's storage (only the current week's) and are sent nowhere.
 */
(async function () {
  "use strict";

  const api = globalThis.browser ?? globalThis.chrome;
  const Settings = globalThis.PostguardSettings;
  const I18n = globalThis.PostguardI18n;
  const Practice = globalThis.PostguardPractice;
  const { el } = globalThis.PostguardDom;

  const topicId = new URLSearchParams(location.search).get("topic") ?? "";
  const settings = await Settings.load();
  const language = Settings.resolveLanguage(settings);
  const t = await I18n.translator(settings.language);
  document.documentElement.lang = language;
  I18n.localise(document, t);

  const reply = await api.runtime.sendMessage({ type: "guidelines" }).catch(() => null);
  document.getElementById("practice-loading").hidden = true;
  if (!reply?.ok) {
    document.getElementById("practice-unavailable").hidden = false;
    return;
  }
  const body = reply.guidelines ?? {};
  const topics = new Map((body.topics ?? []).map((topic) => [topic.id, topic]));
  const text = (texts) => texts?.[language] ?? texts?.en ?? "";
  const week = Practice.isoWeek(new Date());
  const items = Practice.weeklySet(body.examples, { week, topic: topics.has(topicId) ? topicId : "", language });
  if (!items.length) {
    document.getElementById("practice-empty").hidden = false;
    return;
  }

  /** This week's progress; last week's answers are dropped, not kept. */
  async function loadProgress() {
    const { practice } = await api.storage.local.get("practice");
    if (practice && practice.week === week && practice.answers && typeof practice.answers === "object") {
      return { week, set: Array.isArray(practice.set) ? practice.set : [], answers: practice.answers };
    }
    return { week, set: [], answers: {} };
  }

  const progress = await loadProgress();
  if (!topics.has(topicId)) progress.set = items.map((item) => item.id); // the popup counts this set
  await api.storage.local.set({ practice: progress });

  function labelled(label, content) {
    const line = el("p");
    line.append(el("strong", "", `${label} `), content);
    return line;
  }

  /** What the guidelines say about an item, right after the person decided. */
  function feedback(item, choice) {
    const agree = choice === item.verdict;
    const fine = item.verdict === "fine";
    const topic = topics.get(item.topic);
    const box = el("div", "postguard-feedback");
    box.dataset.postguardResult = agree ? "agree" : "differ";
    const key = `practice${agree ? "Agree" : "Differ"}${fine ? "Fine" : "BetterNot"}`;
    box.append(el("p", "postguard-verdict", t(key)));
    if (!fine && topic) {
      box.append(el("p", "postguard-reason", text(topic.message)));
      box.append(labelled(t("guidelineLabel"), text(topic.guideline)));
      box.append(labelled(t("alternativeLabel"), text(topic.alternative)));
    } else if (topic) {
      box.append(el("p", "postguard-reason", t("practiceFineNear", text(topic.title))));
      box.append(labelled(t("guidelineLabel"), text(topic.guideline)));
    } else {
      box.append(el("p", "postguard-reason", t("practiceFineGeneral")));
    }
    const more = el("a", "postguard-guideline-link", t("openGuidelines"));
    more.href = topic ? `guidelines.html?topic=${encodeURIComponent(topic.id)}` : "guidelines.html";
    const moreLine = el("p");
    moreLine.append(more);
    box.append(moreLine);
    return box;
  }

  function showProgress() {
    const done = items.filter((item) => progress.answers[item.id]).length;
    document.getElementById("practice-progress").textContent = t("practiceProgress", done, items.length);
    document.getElementById("practice-done").hidden = done < items.length;
  }

  function renderItem(item) {
    const entry = el("li", "postguard-card postguard-practice-item");
    entry.dataset.postguardItem = item.id;
    entry.append(el("blockquote", "postguard-practice-text", item.text));
    const answers = el("p", "postguard-answers");
    const slot = el("div", "postguard-feedback-slot");
    for (const [choice, label] of [["fine", "practiceFine"], ["better_not", "practiceBetterNot"]]) {
      const button = el("button", "", t(label));
      button.type = "button";
      button.dataset.postguardAnswer = choice;
      button.addEventListener("click", async () => {
        progress.answers[item.id] = choice;
        show(choice);
        showProgress();
        await api.storage.local.set({ practice: progress });
      });
      answers.append(button);
    }
    const show = (choice) => {
      for (const button of answers.querySelectorAll("button")) {
        button.disabled = true;
        button.setAttribute("aria-pressed", String(button.dataset.postguardAnswer === choice));
      }
      slot.replaceChildren(feedback(item, choice));
    };
    entry.append(answers, slot);
    if (progress.answers[item.id]) show(progress.answers[item.id]);
    return entry;
  }

  function render() {
    document.getElementById("practice-items").replaceChildren(...items.map(renderItem));
    showProgress();
  }

  const topic = topics.get(topicId);
  document.getElementById("practice-intro").textContent = topic
    ? t("practiceIntroTopic", items.length, text(topic.title))
    : t("practiceIntro", items.length);
  document.getElementById("practice-week").textContent = t("practiceWeek", week.replace(/^\d{4}-W0?/, ""));
  document.getElementById("practice-again").addEventListener("click", async () => {
    for (const item of items) delete progress.answers[item.id];
    await api.storage.local.set({ practice: progress });
    render();
  });
  render();
  document.getElementById("practice").hidden = false;
})();
