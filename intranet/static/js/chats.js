// The chat QR sheet: a print button (the page prints without it too).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
