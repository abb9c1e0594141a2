// Calendar pages: copy buttons for feed addresses, and «N more» in the month grid expanded in
// place from the JSON endpoint. Without this script the links and fields work as they are.
(() => {
  document.querySelectorAll(".js-copy").forEach((button) => {
    const field = document.getElementById(button.dataset.copyTarget);
    if (!field || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      navigator.clipboard.writeText(field.value).then(() => {
        const label = button.textContent;
        button.textContent = "✓";
        setTimeout(() => { button.textContent = label; }, 1500);
      });
    });
  });

  const grid = document.querySelector(".month-grid[data-range-url]");
  if (!grid) return;
  grid.addEventListener("click", (event) => {
    const link = event.target.closest("a.day-more[data-day]");
    if (!link) return;
    event.preventDefault();
    const start = link.dataset.day;
    const next = new Date(start + "T00:00:00Z");
    next.setUTCDate(next.getUTCDate() + 1);
    const url = new URL(grid.dataset.rangeUrl, window.location.href);
    url.searchParams.set("start", start);
    url.searchParams.set("end", next.toISOString().slice(0, 10));
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((data) => {
        const list = link.parentElement.querySelector(".day-items") || document.createElement("ul");
        list.className = "day-items";
        list.replaceChildren();
        data.events.forEach((item) => {
          const li = document.createElement("li");
          const a = document.createElement("a");
          a.className = `ev ev-${item.kind} ev-${item.status}` + (item.cancelled ? " ev-cancelled" : "");
          a.href = item.url;
          const time = document.createElement("span");
          time.className = "ev-time";
          time.textContent = item.start.slice(11, 16);
          a.append(time, " " + item.title + (item.session ? " · " + item.session : ""));
          li.append(a);
          list.append(li);
        });
        link.before(list);
        link.remove();
      })
      .catch(() => { window.location.href = link.href; });
  });
})();
