import { expect, test } from "@playwright/test";
import { expectAccessible, freshEmail, screenshot, signIn } from "./support.js";

/** The transform the graph's layer is drawn with (pan x, y and zoom k). */
const layerTransform = async (page: import("@playwright/test").Page) => {
  const t = (await page.getByTestId("graph-layer").getAttribute("transform")) ?? "";
  const [x, y, k] = (t.match(/translate\(([-\d.e]+),([-\d.e]+)\) scale\(([-\d.e]+)\)/) ?? [])
    .slice(1)
    .map(Number);
  return { x: x!, y: y!, k: k! };
};

test("a 200-node graph is drawn whole and pans and zooms with the mouse and the keyboard", async ({
  page,
}) => {
  await signIn(page, freshEmail("graph"));
  await page.getByRole("link", { name: "Open the session with demo" }).click();
  await expect(page.getByTestId("link-state")).toHaveText("● connected");

  // 200 nodes in one /graph (the chat limit is 8000 characters: short ids, ten chains of five edges).
  const nodes = Array.from({ length: 200 }, (_, i) => ({
    id: i.toString(36),
    tool: "render_chart",
    ...(i % 20 > 0 && i % 20 <= 4 ? { depends_on: [(i - 1).toString(36)] } : {}),
  }));
  const prompt = page.getByRole("combobox", { name: "Message or /command" });
  await prompt.fill(`/graph ${JSON.stringify({ nodes })}`);
  await prompt.press("Enter");
  const graph = page.getByRole("group", { name: /Task graph, 200 nodes/ });
  await expect(graph).toBeVisible();
  await expect(graph.locator("[data-node-id]")).toHaveCount(200);
  await expect(graph.locator("[data-edge]")).toHaveCount(40);

  // Fitted to the view at first: zoomed out to show everything.
  const fitted = await layerTransform(page);
  expect(fitted.k).toBeLessThan(1);
  await screenshot(page, "13-large-graph");
  await expectAccessible(page, "large graph");

  const box = (await graph.boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  for (let i = 0; i < 10; i++) await page.mouse.wheel(0, -120);
  const zoomed = await layerTransform(page);
  expect(zoomed.k).toBeGreaterThan(fitted.k * 2);

  await page.mouse.move(cx, cy);
  await page.mouse.down();
  for (let step = 1; step <= 20; step++) await page.mouse.move(cx - step * 10, cy - step * 5);
  await page.mouse.up();
  const panned = await layerTransform(page);
  expect(panned.x).toBeCloseTo(zoomed.x - 200, 0);
  expect(panned.y).toBeCloseTo(zoomed.y - 100, 0);
  expect(panned.k).toBe(zoomed.k);

  // Keyboard: - zooms out, 0 fits again.
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("-");
  expect((await layerTransform(page)).k).toBeLessThan(zoomed.k);
  await page.keyboard.press("0");
  expect(await layerTransform(page)).toEqual(fitted);
  await screenshot(page, "14-large-graph-zoomed");
});
