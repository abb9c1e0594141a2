// Help desk: insert a canned reply into the answer without reloading the page.
// Without JavaScript the «Insert» button reloads the page with the reply filled in.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const target = form.dataset && form.dataset.cannedTarget;
  if (!target) {
    return;
  }
  const select = form.querySelector("select[name=canned]");
  const option = select && select.selectedOptions[0];
  const area = document.querySelector(target);
  if (!option || !area) {
    return;
  }
  event.preventDefault();
  const text = option.dataset.body || "";
  area.value = area.value.trim() ? `${area.value.trimEnd()}\n\n${text}` : text;
  area.focus();
});
