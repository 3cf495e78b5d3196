/*
 * The comms workspace: examples, guidelines, training and publishing, a preview of what an
 * employee sees, and the employees' anonymous feedback. Plain JavaScript, no dependencies;
 * everything goes through the JSON API under /v1/admin/. Text from the server is only ever
 * set as textContent, never parsed as markup.
 */
(function () {
  "use strict";

  const API = "/v1/admin";
  const POLL_MS = 1000;
  const MAX_ROWS = 300; // rows drawn at once; searching narrows the rest
  const HARMLESS = "ok";

  const shared = {
    topics: [], // [{id, title: {de, en}}] of the saved policy
    policy: null, // the policy document being edited
    polling: 0,
    overviewLoaded: false,
  };

  // ---- small helpers ---------------------------------------------------------------------

  const $ = (selector, root = document) => root.querySelector(selector);

  /** Build an element with optional class and text, never parsing markup. */
  function el(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined && text !== null) element.textContent = String(text);
    return element;
  }

  function button(text, onClick, className) {
    const element = el("button", className, text);
    element.type = "button";
    element.addEventListener("click", onClick);
    return element;
  }

  function percent(value) {
    return value === null || value === undefined ? "–" : `${(value * 100).toFixed(1)} %`;
  }

  function decimal(value) {
    return value === null || value === undefined ? "–" : Number(value).toFixed(2);
  }

  function topicTitle(id) {
    if (id === HARMLESS) return "Harmless (ok)";
    if (!id) return "No topic given";
    const topic = shared.topics.find((entry) => entry.id === id);
    return topic ? `${topic.title.en} (${id})` : id;
  }

  function topicOptions(select, { withAll = false, selected = "" } = {}) {
    select.replaceChildren();
    if (withAll) select.append(new Option("All topics", ""));
    for (const topic of shared.topics) select.append(new Option(topicTitle(topic.id), topic.id));
    select.append(new Option(topicTitle(HARMLESS), HARMLESS));
    select.value = selected;
  }

  let toastTimer = 0;
  function toast(message) {
    const box = $("#toast");
    box.textContent = message;
    box.classList.add("shown");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => box.classList.remove("shown"), 4000);
  }

  class ApiError extends Error {
    constructor(message, status, signedOut = false) {
      super(message);
      this.status = status;
      this.signedOut = signedOut; // the session ended: the sign-in form is shown already
    }
  }

  /** Call the admin API; resolves to the JSON body (null for 204), rejects with ApiError. */
  async function call(method, path, body, { csv = false } = {}) {
    const options = { method, headers: {}, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      options.headers["Content-Type"] = csv ? "text/csv" : "application/json";
      options.body = csv ? body : JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(`${API}${path}`, options);
    } catch {
      throw new ApiError("The server cannot be reached. Is it running?", 0);
    }
    if (response.status === 401 && path !== "/login") {
      showSignIn();
      throw new ApiError("Please sign in again.", 401, true);
    }
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(data?.message ?? `The server answered ${response.status}.`, response.status);
    return data;
  }

  /** Run an action; show its error in `target` (or as a toast) instead of throwing. */
  async function attempt(action, target) {
    if (target) target.textContent = "";
    try {
      return await action();
    } catch (error) {
      if (error.signedOut) return undefined;
      if (target) target.textContent = error.message;
      else toast(error.message);
      return undefined;
    }
  }

  // ---- signing in --------------------------------------------------------------------------

  function showSignIn() {
    stopPolling();
    $("#workspace").hidden = true;
    delete $("#workspace").dataset.loaded;
    $("#sign-out").hidden = true;
    $("#sign-in").hidden = false;
    $("#password").value = "";
    $("#password").focus();
  }

  async function showWorkspace() {
    $("#sign-in").hidden = true;
    $("#workspace").hidden = false;
    $("#sign-out").hidden = false;
    // Each part loads on its own: a problem in one (say, a broken examples file) leaves the rest usable.
    await attempt(loadOverview);
    await Promise.all([
      attempt(loadExamples, $("#examples-problem")), attempt(loadPolicy, $("#policy-error")),
      attempt(loadTraining, $("#job-error")), attempt(loadVersions), attempt(loadFeedback),
    ]);
    $("#workspace").dataset.loaded = "true"; // for people's tools and the tests: all parts are in
  }

  function setUpSignIn() {
    $("#sign-in-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const ok = await attempt(() => call("POST", "/login", { password: $("#password").value }), $("#sign-in-error"));
      if (ok) {
        const loading = showWorkspace();
        // Focus moves at once, not when the lists have loaded: a later jump would take the
        // keyboard away from whatever the person already moved to.
        $("#main").focus();
        await loading;
      }
    });
    $("#sign-out").addEventListener("click", async () => {
      await attempt(() => call("POST", "/logout"));
      showSignIn();
    });
  }

  async function loadOverview() {
    const overview = await call("GET", "/overview");
    shared.topics = overview.topics;
    $("#minimum-per-topic").textContent = overview.minimum_per_topic;
    $("#model-line").textContent = overview.model
      ? `Published model ${overview.model.version}`
      : "No model is published yet.";
    if (!shared.overviewLoaded) $("#with-base").checked = overview.base_corpus; // like the model in service
    shared.overviewLoaded = true;
    topicOptions($("#new-topic"), { selected: $("#new-topic").value || shared.topics[0]?.id || HARMLESS });
    topicOptions($("#filter-topic"), { withAll: true, selected: $("#filter-topic").value });
    showCounts(overview.counts, overview.minimum_per_topic);
    $("#examples-problem").textContent = overview.examples_problem;
  }

  // ---- tabs --------------------------------------------------------------------------------

  function setUpTabs() {
    const tabs = [...document.querySelectorAll('[role="tab"]')];
    const select = (tab, focus) => {
      for (const other of tabs) {
        const chosen = other === tab;
        other.setAttribute("aria-selected", String(chosen));
        other.tabIndex = chosen ? 0 : -1;
        document.getElementById(other.getAttribute("aria-controls")).hidden = !chosen;
      }
      if (focus) tab.focus();
      if (tab.id === "tab-feedback") attempt(loadFeedback);
      if (tab.id === "tab-training") attempt(loadVersions);
    };
    for (const tab of tabs) {
      tab.addEventListener("click", () => select(tab, false));
      tab.addEventListener("keydown", (event) => {
        const index = tabs.indexOf(tab);
        const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[event.key];
        if (next === undefined) return;
        event.preventDefault();
        select(tabs[(next + tabs.length) % tabs.length], true);
      });
    }
  }

  // ---- examples ----------------------------------------------------------------------------

  function showCounts(counts, minimum) {
    const list = $("#counts");
    list.replaceChildren();
    for (const [topic, count] of Object.entries(counts)) {
      const chip = el("li", count < minimum && topic !== HARMLESS ? "chip low" : "chip", `${topicTitle(topic)}: ${count}`);
      if (count < minimum && topic !== HARMLESS) chip.title = `At least ${minimum} are needed for training`;
      list.append(chip);
    }
  }

  let searchTimer = 0;
  async function loadExamples() {
    const params = new URLSearchParams();
    if ($("#search").value.trim()) params.set("q", $("#search").value.trim());
    if ($("#filter-topic").value) params.set("topic", $("#filter-topic").value);
    const data = await call("GET", `/examples?${params}`);
    showCounts(data.counts, Number($("#minimum-per-topic").textContent) || 5);
    const body = $("#examples-table tbody");
    body.replaceChildren(...data.examples.slice(0, MAX_ROWS).map(exampleRow));
    const shown = Math.min(data.examples.length, MAX_ROWS);
    $("#result-count").textContent = data.examples.length > MAX_ROWS
      ? `Showing ${shown} of ${data.examples.length}; search to narrow them down.`
      : `${data.examples.length} example${data.examples.length === 1 ? "" : "s"}`;
  }

  function exampleRow(example) {
    const row = el("tr");
    row.dataset.exampleId = example.id;
    const textCell = el("td", "text");
    const text = el("p", "example-text", example.text);
    textCell.append(text);

    const topic = el("select");
    topic.setAttribute("aria-label", "Topic");
    topicOptions(topic, { selected: example.topic });
    topic.addEventListener("change", () => updateExample(example, { topic: topic.value }));

    const shareable = el("input");
    shareable.type = "checkbox";
    shareable.checked = example.shareable;
    shareable.setAttribute("aria-label", "Employees may see it");
    shareable.addEventListener("change", () => updateExample(example, { shareable: shareable.checked }));

    const edit = button("Edit", () => editExample(row, textCell, example), "secondary");
    const remove = button("Delete", () => deleteExample(example), "danger");
    const topicCell = el("td");
    topicCell.append(topic);
    const shareCell = el("td", "center");
    shareCell.append(shareable);
    const actions = el("td", "actions");
    actions.append(edit, remove);
    row.append(textCell, topicCell, shareCell, actions);
    return row;
  }

  function editExample(row, cell, example) {
    const area = el("textarea");
    area.value = example.text;
    area.rows = Math.min(10, Math.max(3, Math.ceil(example.text.length / 80)));
    area.setAttribute("aria-label", "Text of the example");
    const error = el("p", "error");
    error.setAttribute("role", "alert");
    const save = button("Save", async () => {
      const done = await attempt(() => updateExample(example, { text: area.value }, true), error);
      if (done !== undefined) await loadExamples();
    });
    const cancel = button("Cancel", () => loadExamples(), "secondary");
    area.addEventListener("keydown", (event) => {
      if (event.key === "Escape") cancel.click();
    });
    cell.replaceChildren(area, save, cancel, error);
    area.focus();
  }

  async function updateExample(example, change, throwErrors = false) {
    const action = async () => {
      const data = await call("PATCH", `/examples/${encodeURIComponent(example.id)}`, change);
      Object.assign(example, data.example);
      toast("Saved.");
      await loadExamples();
      return data;
    };
    return throwErrors ? action() : attempt(action);
  }

  async function deleteExample(example) {
    const short = example.text.length > 80 ? `${example.text.slice(0, 79)}…` : example.text;
    if (!window.confirm(`Delete this example?\n\n“${short}”`)) return;
    await attempt(async () => {
      await call("DELETE", `/examples/${encodeURIComponent(example.id)}`);
      toast("Example deleted.");
      await loadExamples();
    });
  }

  function setUpExamples() {
    $("#add-example").addEventListener("submit", async (event) => {
      event.preventDefault();
      const added = await attempt(() => call("POST", "/examples", {
        text: $("#new-text").value,
        topic: $("#new-topic").value,
        shareable: $("#new-shareable").checked,
      }));
      if (!added) return;
      $("#new-text").value = "";
      $("#new-shareable").checked = false;
      toast(`Added to ${topicTitle(added.example.topic)}.`);
      $("#new-text").focus();
      await loadExamples();
    });
    $("#search").addEventListener("input", () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => attempt(loadExamples), 250);
    });
    $("#filter-topic").addEventListener("change", () => attempt(loadExamples));
    $("#import-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const file = $("#import-file").files[0];
      const mode = document.querySelector('input[name="import-mode"]:checked').value;
      if (!file) return;
      if (mode === "replace" && !window.confirm("Replace all examples with this file? The current file is kept as a copy.")) return;
      const result = await attempt(async () => call("POST", `/examples/import?mode=${mode}`, await file.text(), { csv: true }), $("#import-result"));
      if (!result) return;
      $("#import-result").textContent = `Imported: ${result.added} added, ${result.skipped} already there; ${result.total} examples in all.`;
      await loadExamples();
    });
  }

  // ---- policy --------------------------------------------------------------------------------

  const LANGS = ["de", "en"];
  const TOPIC_TEXTS = [
    ["title", "Title", "input"],
    ["message", "What the warning says", "textarea"],
    ["guideline", "Guideline", "textarea"],
    ["speakers", "Who speaks about it", "input"],
    ["alternative", "What works instead", "textarea"],
  ];
  let fieldCounter = 0;

  /** A labelled input bound to `object[key]`. */
  function field(label, object, key, { kind = "input", type = "text", hint = "" } = {}) {
    const id = `policy-field-${++fieldCounter}`;
    const wrapper = el("div", "field");
    const labelElement = el("label", "", label);
    labelElement.htmlFor = id;
    const input = el(kind);
    input.id = id;
    if (kind === "input") input.type = type;
    input.value = object[key] ?? "";
    if (kind === "textarea") input.rows = Math.min(6, Math.max(2, Math.ceil(input.value.length / 55)));
    input.addEventListener("input", () => {
      if (type === "number") {
        if (input.value === "") delete object[key];
        else object[key] = Number(input.value);
      } else {
        object[key] = input.value;
      }
    });
    wrapper.append(labelElement, input);
    if (hint) wrapper.append(el("span", "hint", hint));
    return wrapper;
  }

  function languagePair(label, object, key, kind) {
    if (typeof object[key] !== "object" || object[key] === null) object[key] = { de: object[key] ?? "", en: object[key] ?? "" };
    const group = el("fieldset", "pair");
    group.append(el("legend", "", label));
    for (const lang of LANGS) group.append(field(lang === "de" ? "German" : "English", object[key], lang, { kind }));
    return group;
  }

  function linesField(label, object, lang) {
    const id = `policy-field-${++fieldCounter}`;
    const wrapper = el("div", "field");
    const labelElement = el("label", "", label);
    labelElement.htmlFor = id;
    const area = el("textarea");
    area.id = id;
    area.value = (object[lang] ?? []).join("\n");
    area.rows = Math.min(10, Math.max(3, (object[lang] ?? []).length * 2 + 1)); // lines wrap in half a page
    area.addEventListener("input", () => {
      object[lang] = area.value.split("\n").map((line) => line.trim()).filter(Boolean);
    });
    wrapper.append(labelElement, area, el("span", "hint", "One per line."));
    return wrapper;
  }

  function contactFields(legend, contact) {
    const group = el("fieldset", "contact");
    group.append(el("legend", "", legend));
    group.append(field("Name", contact, "name"));
    if (typeof contact.role === "string") contact.role = { de: contact.role, en: contact.role };
    contact.role = contact.role ?? { de: "", en: "" };
    group.append(field("Role (German)", contact.role, "de"), field("Role (English)", contact.role, "en"));
    group.append(field("E-mail", contact, "email", { type: "email" }), field("Chat or web page", contact, "url", { type: "url" }));
    return group;
  }

  function termsEditor(topic) {
    const group = el("fieldset", "terms");
    group.append(el("legend", "", "Listed terms (always pointed out: codenames, customer names)"));
    const list = el("ul", "plain");
    const draw = () => {
      list.replaceChildren();
      topic.terms = (topic.terms ?? []).map((term) => (typeof term === "string" ? { term } : term));
      topic.terms.forEach((term, index) => {
        const item = el("li", "row");
        item.append(field("Term", term, "term"));
        item.append(field("Until (empty: always)", term, "until", { type: "date" }));
        item.append(button("Remove term", () => {
          topic.terms.splice(index, 1);
          draw();
        }, "secondary"));
        list.append(item);
      });
    };
    draw();
    group.append(list, button("Add a term", () => {
      topic.terms = [...(topic.terms ?? []), { term: "" }];
      draw();
      list.lastElementChild?.querySelector("input")?.focus();
    }, "secondary"));
    return group;
  }

  function topicFields(topic, index, isNew) {
    const box = el("details", "card topic");
    box.open = isNew;
    const summary = el("summary", "", `${topic.title?.en || topic.id || "New topic"} (${topic.id || "no id yet"})`);
    box.append(summary);
    if (isNew) {
      box.append(field("Id (lower-case letters, digits and _; used in examples.csv)", topic, "id"));
    } else {
      box.append(el("p", "muted", `Id: ${topic.id} (used in examples.csv, cannot be changed here)`));
    }
    for (const [key, label, kind] of TOPIC_TEXTS) box.append(languagePair(label, topic, key, kind));
    topic.contact = topic.contact ?? { name: "", email: "", url: "" };
    box.append(contactFields("Contact person", topic.contact));
    box.append(field("Sensitivity (empty: normal; 2 warns more, 0.5 less)", topic, "sensitivity", { type: "number" }));
    box.append(termsEditor(topic));
    box.append(button("Remove this topic", () => {
      if (!window.confirm(`Remove the topic ${topic.id || ""}? Its examples must be relabelled or deleted first.`)) return;
      shared.policy.topics.splice(index, 1);
      drawPolicy();
    }, "danger"));
    return box;
  }

  function drawPolicy(newTopicIndex = -1) {
    const policy = shared.policy;
    const root = $("#policy-fields");
    root.replaceChildren();
    const general = el("fieldset", "card");
    general.append(el("legend", "", "Company"));
    general.append(field("Company name", policy, "company"));
    const language = el("div", "field");
    const languageLabel = el("label", "", "Language when a post's language cannot be told");
    languageLabel.htmlFor = "policy-default-language";
    const languageSelect = el("select");
    languageSelect.id = "policy-default-language";
    languageSelect.append(new Option("German", "de"), new Option("English", "en"));
    languageSelect.value = policy.default_language ?? "de";
    languageSelect.addEventListener("change", () => (policy.default_language = languageSelect.value));
    language.append(languageLabel, languageSelect);
    general.append(language);
    policy.contact = policy.contact ?? { name: "", email: "", url: "" };
    general.append(contactFields("General social-media contact", policy.contact));
    for (const [key, label] of [["dos", "Do's"], ["donts", "Don'ts"]]) {
      policy[key] = policy[key] ?? { de: [], en: [] };
      const group = el("fieldset", "pair");
      group.append(el("legend", "", label));
      group.append(linesField(`${label} in German`, policy[key], "de"), linesField(`${label} in English`, policy[key], "en"));
      general.append(group);
    }
    general.append(linesField(
      "Pages where the company publishes (address prefixes such as https://example.com/press/): a post that links one warns only on clearer signs",
      policy, "published_pages",
    ));
    root.append(general, el("h3", "", "Topics"));
    policy.topics.forEach((topic, index) => {
      root.append(topicFields(topic, index, topic.__new === true || index === newTopicIndex));
    });
  }

  /** The policy document to send: empty optional values left out, helper marks removed. */
  function policyToSend() {
    const policy = structuredClone(shared.policy);
    const tidyContact = (contact) => {
      if (contact?.role && !contact.role.de && !contact.role.en) delete contact.role;
    };
    tidyContact(policy.contact);
    if (!policy.published_pages?.length) delete policy.published_pages;
    for (const topic of policy.topics) {
      delete topic.__new;
      tidyContact(topic.contact);
      if (topic.sensitivity === undefined || Number.isNaN(topic.sensitivity)) delete topic.sensitivity;
      const terms = (topic.terms ?? []).filter((term) => term.term?.trim());
      for (const term of terms) if (!term.until) delete term.until;
      if (terms.length) topic.terms = terms;
      else delete topic.terms;
    }
    return policy;
  }

  async function loadPolicy() {
    const data = await call("GET", "/policy");
    showPolicy(data);
  }

  function showPolicy(data) {
    shared.policy = data.policy;
    shared.policy.topics = shared.policy.topics ?? [];
    drawPolicy();
    $("#policy-status").textContent = data.note || (data.in_service ? "" : "Saved, not yet in service: train and publish a model that knows its new topics.");
    const versions = $("#policy-versions");
    versions.replaceChildren();
    if (!data.versions.length) versions.append(el("li", "muted", "No earlier versions yet."));
    for (const version of data.versions) {
      const item = el("li", "row", `Saved before ${new Date(version.saved_at).toLocaleString()}`);
      item.append(button("Restore", async () => {
        if (!window.confirm("Put this version back? The current one is kept as a copy.")) return;
        const restored = await attempt(() => call("POST", `/policy/versions/${encodeURIComponent(version.name)}/restore`), $("#policy-error"));
        if (restored) {
          showPolicy(restored);
          toast("Earlier version restored.");
          await loadOverview();
        }
      }, "secondary"));
      versions.append(item);
    }
  }

  function setUpPolicy() {
    $("#add-topic").addEventListener("click", () => {
      const blank = () => ({ de: "", en: "" });
      shared.policy.topics.push({
        __new: true, id: "", title: blank(), message: blank(), guideline: blank(), speakers: blank(),
        alternative: blank(), contact: { name: "", email: "", url: "" },
      });
      drawPolicy();
      const boxes = document.querySelectorAll("#policy-fields details.topic");
      boxes[boxes.length - 1]?.querySelector("input")?.focus();
    });
    $("#policy-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const saved = await attempt(() => call("PUT", "/policy", { policy: policyToSend() }), $("#policy-error"));
      if (!saved) return;
      showPolicy(saved);
      toast(saved.in_service ? "Guidelines saved; employees see them now." : "Guidelines saved.");
      await loadOverview();
    });
  }

  // ---- training and publishing ------------------------------------------------------------------

  function stopPolling() {
    clearInterval(shared.polling);
    shared.polling = 0;
  }

  async function loadTraining() {
    const data = await call("GET", "/training");
    showJob(data.job);
    showReport(data.candidate);
    if (data.job.state === "running" && !shared.polling) {
      shared.polling = setInterval(() => attempt(pollTraining), POLL_MS);
    }
  }

  async function pollTraining() {
    const data = await call("GET", "/training");
    showJob(data.job);
    if (data.job.state !== "running") {
      stopPolling();
      showReport(data.candidate);
      if (data.job.state === "done") toast("Training finished. Look at the report, then publish.");
    }
  }

  function showJob(job) {
    const running = job.state === "running";
    $("#job").hidden = !running;
    $("#train").disabled = running;
    $("#job-step").textContent = running ? `${job.step}…` : "";
    $("#job-progress").value = job.progress;
    $("#job-progress").textContent = percent(job.progress);
    $("#job-error").textContent = job.state === "failed" ? `Training did not finish: ${job.error}` : "";
  }

  function table(target, header, rows) {
    target.replaceChildren();
    const head = el("thead");
    const headRow = el("tr");
    for (const cell of header) headRow.append(el("th", "", cell));
    head.append(headRow);
    const body = el("tbody");
    for (const row of rows) {
      const tr = el("tr");
      row.forEach((cell, index) => {
        const td = el(index === 0 ? "th" : "td", "", cell);
        if (index === 0) td.scope = "row";
        tr.append(td);
      });
      body.append(tr);
    }
    target.append(head, body);
  }

  function showReport(candidate) {
    const report = $("#report");
    report.hidden = !candidate;
    if (!candidate) return;
    const measured = candidate.quality.company ?? candidate.quality.all;
    $("#report-version").textContent = candidate.version;
    const total = Object.values(candidate.quality.examples).reduce((sum, n) => sum + n, 0);
    $("#report-summary").textContent =
      `Trained on ${total} examples${candidate.base_corpus ? " (with the built-in ones)" : ""}. ` +
      `On your own examples: F1 ${decimal(measured.macro_f1)} on average over the topics, ` +
      `false alarms on ${percent(measured.false_alarm_rate)} of the harmless posts, ` +
      `${percent(measured.taboo_recall)} of the taboo posts found.`;
    table($("#report-topics"), ["Topic", "Precision", "Recall", "F1", "Examples"],
      Object.entries(measured.topics).map(([topic, m]) => [topicTitle(topic), percent(m.precision), percent(m.recall), decimal(m.f1), m.support]));
    const labels = measured.confusion.labels;
    table($("#report-confusion"), ["", ...labels.map((label) => `→ ${label}`)],
      labels.map((label, index) => [label, ...measured.confusion.matrix[index]]));
    showCurve(candidate.report?.learning_curve ?? []);
    showMistakes(candidate.report);
    const refused = candidate.gate;
    $("#gate-status").textContent = refused
      ? `The quality gate holds this model back: ${refused} You can publish it anyway.`
      : "This model passes the quality gate.";
    $("#publish").hidden = Boolean(refused);
    $("#publish-anyway").hidden = !refused;
  }

  function svg(tag, attributes, text) {
    const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  /** The learning curve: F1 and false alarms over the number of examples per topic. */
  function showCurve(points) {
    const chart = $("#report-curve");
    chart.replaceChildren();
    const width = 520, height = 260, left = 48, right = 16, top = 16, bottom = 40;
    const xs = points.map((p) => p.examples_per_topic);
    const maxX = Math.max(1, ...xs);
    const x = (value) => left + (value / maxX) * (width - left - right);
    const y = (value) => top + (1 - value) * (height - top - bottom);
    for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
      chart.append(svg("line", { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: "grid" }));
      chart.append(svg("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end", class: "tick" }, tick.toFixed(2)));
    }
    for (const point of points) {
      chart.append(svg("text", { x: x(point.examples_per_topic), y: height - bottom + 16, "text-anchor": "middle", class: "tick" }, point.examples_per_topic));
    }
    chart.append(svg("text", { x: (left + width - right) / 2, y: height - 6, "text-anchor": "middle", class: "axis" }, "company examples per topic the model learnt from"));
    const series = [
      ["macro_f1", "curve-f1", "F1"],
      ["false_alarm_rate", "curve-alarms", "false alarms"],
    ];
    for (const [key, className, label] of series) {
      const usable = points.filter((p) => p[key] !== null && p[key] !== undefined);
      if (!usable.length) continue;
      chart.append(svg("polyline", { points: usable.map((p) => `${x(p.examples_per_topic)},${y(p[key])}`).join(" "), class: className }));
      for (const p of usable) chart.append(svg("circle", { cx: x(p.examples_per_topic), cy: y(p[key]), r: 4, class: className }));
      const last = usable[usable.length - 1];
      chart.append(svg("text", { x: x(last.examples_per_topic) - 6, y: y(last[key]) - 8, "text-anchor": "end", class: `label ${className}` }, label));
    }
    const rising = points.length > 1 && points[points.length - 1].macro_f1 - points[points.length - 2].macro_f1 > 0.02;
    $("#curve-caption").textContent = points.length
      ? `F1 (higher is better) and false alarms (lower is better) as the model sees more of your examples. ${rising
        ? "The curve still rises: more examples will probably help."
        : "The curve has flattened: more of the same examples will help little; different ones may."}`
      : "No learning curve for this model.";
    table($("#report-curve-table"), ["Examples per topic", "F1", "False alarms"],
      points.map((p) => [p.examples_per_topic, decimal(p.macro_f1), percent(p.false_alarm_rate)]));
  }

  function showMistakes(report) {
    const list = $("#report-mistakes");
    list.replaceChildren();
    const mistakes = report?.mistakes ?? [];
    if (!mistakes.length) {
      list.append(el("li", "muted", "None: the model gets all your examples right."));
      return;
    }
    for (const mistake of mistakes) list.append(mistakeItem(mistake));
    if (report.mistakes_total > mistakes.length) {
      list.append(el("li", "muted", `… and ${report.mistakes_total - mistakes.length} more.`));
    }
  }

  function mistakeItem(mistake) {
    const item = el("li", "card mistake");
    item.append(el("p", "example-text", mistake.text));
    item.append(el("p", "muted", `Labelled ${topicTitle(mistake.topic)}; the model says ${topicTitle(mistake.decided)}.`));
    const outcome = el("p", "outcome");
    outcome.setAttribute("role", "status");
    const row = el("div", "row");
    const relabel = el("select");
    relabel.setAttribute("aria-label", "New topic");
    topicOptions(relabel, { selected: mistake.decided });
    const done = (message) => {
      row.remove();
      outcome.textContent = message;
      item.classList.add("fixed");
    };
    row.append(relabel, button("Relabel", async () => {
      const ok = await attempt(() => call("PATCH", `/examples/${encodeURIComponent(mistake.id)}`, { topic: relabel.value }), outcome);
      if (ok) {
        done(`Relabelled as ${topicTitle(relabel.value)}. Train again to see the effect.`);
        attempt(loadExamples);
      }
    }), button("Remove", async () => {
      const ok = await attempt(async () => {
        await call("DELETE", `/examples/${encodeURIComponent(mistake.id)}`);
        return true;
      }, outcome);
      if (ok) {
        done("Removed. Train again to see the effect.");
        attempt(loadExamples);
      }
    }, "danger"));
    item.append(row, outcome);
    return item;
  }

  async function publish(force) {
    const published = await attempt(() => call("POST", "/publish", { force }), $("#gate-status"));
    if (!published) return;
    toast(`Model ${published.model.version} is published; employees get it now.`);
    await Promise.all([loadOverview(), loadTraining(), loadVersions()]);
    $("#publish-status").textContent = `Published model ${published.model.version}: employees get it now.`;
  }

  async function loadVersions() {
    const data = await call("GET", "/models");
    const target = $("#versions");
    target.replaceChildren();
    const head = el("thead");
    const headRow = el("tr");
    for (const cell of ["Version", "Trained", "F1", "False alarms", ""]) headRow.append(el("th", "", cell));
    head.append(headRow);
    const body = el("tbody");
    for (const version of data.versions) {
      const row = el("tr");
      row.append(
        el("th", "", version.version), el("td", "", new Date(version.trained_at).toLocaleString()),
        el("td", "", decimal(version.macro_f1)), el("td", "", percent(version.false_alarm_rate)),
      );
      const cell = el("td");
      if (version.current) {
        cell.append(el("strong", "", "in service"));
      } else {
        cell.append(button("Restore", async () => {
          if (!window.confirm(`Put model ${version.version} back into service?`)) return;
          const restored = await attempt(() => call("POST", `/models/${encodeURIComponent(version.version)}/restore`));
          if (restored) {
            toast(`Model ${restored.model.version} is back in service.`);
            await Promise.all([loadOverview(), loadVersions()]);
          }
        }, "secondary"));
      }
      row.append(cell);
      body.append(row);
    }
    if (!data.versions.length) {
      const row = el("tr");
      const cell = el("td", "muted", "No versions kept yet: they appear once you publish from here.");
      cell.colSpan = 5;
      row.append(cell);
      body.append(row);
    }
    target.append(head, body);
  }

  function setUpTraining() {
    $("#train").addEventListener("click", async () => {
      const started = await attempt(() => call("POST", "/training", { base_corpus: $("#with-base").checked }), $("#job-error"));
      if (!started) return;
      $("#publish-status").textContent = "";
      showJob(started.job);
      stopPolling();
      shared.polling = setInterval(() => attempt(pollTraining), POLL_MS);
      $("#job-progress").focus?.();
    });
    $("#publish").addEventListener("click", () => publish(false));
    $("#publish-anyway").addEventListener("click", () => {
      if (window.confirm("Publish although the quality gate holds the model back?")) publish(true);
    });
  }

  // ---- try it: the panel an employee sees ---------------------------------------------------

  // The extension's own words (extension/_locales), so the preview reads like the real panel.
  const PANEL_TEXTS = {
    de: {
      one: "Kurzer Hinweis, bevor du postest", many: (n) => `${n} kurze Hinweise, bevor du postest`,
      intro: (topic) => `Dieser Satz erwähnt vielleicht ${topic} – hier steht, warum wir das lieber intern halten:`,
      guideline: "Unsere Leitlinie:", alternative: "Was stattdessen gut geht:", contact: "Fragen? Melde dich bei",
      why: "Bei diesen Wörtern hat Postguard genauer hingeschaut:",
      footer: "Du entscheidest – Postguard gibt nur Hinweise, und Irrtümer kommen vor. Was du schreibst, wird nirgends gespeichert.",
    },
    en: {
      one: "A quick note before you post", many: (n) => `${n} quick notes before you post`,
      intro: (topic) => `This sentence may mention ${topic} — here is why we ask to keep it internal:`,
      guideline: "Our guideline:", alternative: "What works instead:", contact: "Questions? Ask",
      why: "These words made Postguard look twice:",
      footer: "It's your call — Postguard only gives hints, and mistakes happen. Nothing you write is stored.",
    },
  };

  function utf16Slice(text, offset, length) {
    return text.slice(offset, offset + length); // JavaScript strings count UTF-16 units, like the server
  }

  function previewPanel(text, result) {
    const words = PANEL_TEXTS[result.lang] ?? PANEL_TEXTS.en;
    const card = el("div", "preview");
    card.dataset.verdict = result.verdict;
    const count = result.findings.length;
    card.append(el("p", "preview-heading", `Postguard · ${count === 1 ? words.one : words.many(count)}`));
    for (const finding of result.findings) {
      const section = el("section", "preview-finding");
      section.dataset.topic = finding.topic;
      section.append(el("h3", "", finding.title));
      section.append(el("p", "", words.intro(finding.title)));
      section.append(el("blockquote", "", `“${utf16Slice(text, finding.offset, finding.length).replace(/\s+/g, " ").trim()}”`));
      section.append(el("p", "", finding.message));
      const line = (label, value) => {
        const p = el("p");
        p.append(el("strong", "", `${label} `), String(value ?? ""));
        return p;
      };
      section.append(line(words.guideline, finding.guideline), line(words.alternative, finding.alternative));
      const contact = finding.contact ?? {};
      section.append(line(words.contact, [contact.name, contact.email].filter(Boolean).join(" · ")));
      section.append(el("p", "muted", `${words.why} ${(finding.evidence ?? []).map((term) => `“${term}”`).join(", ")}`));
      section.append(el("p", "muted", `Score ${decimal(finding.score)}${finding.source === "listed" ? " · a listed term" : ""}`));
      card.append(section);
    }
    card.append(el("p", "preview-footer", words.footer));
    return card;
  }

  function setUpTry() {
    $("#try-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const target = $("#try-result");
      const text = $("#try-text").value;
      const model = document.querySelector('input[name="try-model"]:checked').value;
      const result = await attempt(() => call("POST", "/try", { text, model }), target);
      if (!result) return;
      target.replaceChildren();
      target.dataset.verdict = result.verdict;
      if (!result.findings.length) {
        target.append(el("p", "preview-ok", "Postguard shows nothing: the post goes out without a note."));
      } else {
        target.append(previewPanel(text, result));
      }
      target.append(el("p", "muted", `Model ${result.model.version} · language ${result.lang}`));
    });
  }

  // ---- feedback -----------------------------------------------------------------------------

  const KIND_NAMES = { false_alarm: "“This is fine” (a false alarm)", missed_risk: "A missed risk" };

  async function loadFeedback() {
    const data = await call("GET", "/feedback");
    $("#feedback-minimum").textContent = data.statistics.minimum;
    const rows = data.statistics.weeks.map((row) => [row.week, topicTitle(row.topic), KIND_NAMES[row.kind] ?? row.kind, row.count]);
    table($("#feedback-stats"), ["Week", "Topic", "Kind", "Reports"], rows);
    if (!rows.length) {
      const empty = el("tr");
      const cell = el("td", "muted", `No week has ${data.statistics.minimum} or more reports of one kind yet.`);
      cell.colSpan = 4;
      empty.append(cell);
      $("#feedback-stats tbody").append(empty);
    }
    const list = $("#shared-list");
    list.replaceChildren();
    if (!data.shared.length) list.append(el("li", "muted", "No shared texts waiting."));
    for (const entry of data.shared) list.append(sharedItem(entry));
  }

  function sharedItem(entry) {
    const item = el("li", "card");
    item.append(el("p", "example-text", entry.text));
    item.append(el("p", "muted", `${KIND_NAMES[entry.kind] ?? entry.kind} · ${topicTitle(entry.topic)} · week ${entry.week}`));
    const outcome = el("p", "outcome");
    outcome.setAttribute("role", "status");
    const topic = el("select");
    topic.setAttribute("aria-label", "Topic of the new example");
    // "This is fine" suggests a harmless example, a missed risk the topic the employee named.
    topicOptions(topic, { selected: entry.kind === "false_alarm" ? HARMLESS : entry.topic ?? shared.topics[0]?.id ?? HARMLESS });
    const row = el("div", "row");
    row.append(topic, button("Add as example", async () => {
      const added = await attempt(() => call("POST", `/feedback/${encodeURIComponent(entry.id)}/example`, { topic: topic.value }), outcome);
      if (added) {
        toast(`Added to ${topicTitle(added.example.topic)}.`);
        await Promise.all([loadFeedback(), loadExamples()]);
      }
    }), button("Discard", async () => {
      const ok = await attempt(async () => {
        await call("DELETE", `/feedback/${encodeURIComponent(entry.id)}`);
        return true;
      }, outcome);
      if (ok) await loadFeedback();
    }, "secondary"));
    item.append(row, outcome);
    return item;
  }

  // ---- start ----------------------------------------------------------------------------------

  async function start() {
    if (!$("#sign-in")) return; // no password yet: the page says how to set one
    setUpSignIn();
    setUpTabs();
    setUpExamples();
    setUpPolicy();
    setUpTraining();
    setUpTry();
    if (document.body.dataset.signedIn === "true") await showWorkspace();
    else showSignIn();
  }

  start();
})();
