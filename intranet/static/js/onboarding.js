// Onboarding pages: copy a link, print, tick every row of a list. Each page works without it.
document.addEventListener("click", (event) => {
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    const field = document.querySelector(copy.dataset.copy);
    if (field) {
      field.select();
      if (navigator.clipboard) {
        navigator.clipboard.writeText(field.value).catch(() => {});
      }
    }
    return;
  }
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-check-all]");
  if (!all) {
    return;
  }
  const scope = document.querySelector(all.dataset.checkAll) || document;
  scope.querySelectorAll("input[type=checkbox][name]").forEach((box) => {
    box.checked = all.checked;
  });
});
