// A frame that is a real sandbox: scripts run, but in an opaque origin (no allow-same-origin),
// so they cannot read the app's page, its cookies or its storage. st.iframe always adds
// allow-same-origin. Data: {html, height, title}. The page inherits the app's CSP (about:srcdoc).

export default function (component) {
  const { data, parentElement } = component;
  let frame = parentElement.querySelector(":scope > iframe");
  if (!frame) {
    frame = document.createElement("iframe");
    frame.setAttribute("sandbox", "allow-scripts"); // before it has a document: nothing else
    frame.style.cssText = "display:block;width:100%;border:0;";
    parentElement.appendChild(frame);
  }
  frame.title = data.title;
  frame.style.height = `${data.height}px`;
  if (frame.srcdoc !== data.html) frame.srcdoc = data.html; // a rerun with the same page keeps it
}
