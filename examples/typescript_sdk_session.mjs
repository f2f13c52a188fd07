// A session with Segment's official TypeScript SDK against a local Sluice.
//
// The SDK (`@segment/public-api-sdk-typescript`) is used unchanged: `configureApis` always
// targets https://api.segmentapis.com, so the session sets each API object's `basePath`, the
// SDK's own setter, to Sluice's URL. That is the only difference from a script against Segment.
//
// Install the SDK, either from npm:
//
//     npm i @segment/public-api-sdk-typescript
//
// or, with no npm registry, from the repository's prebuilt `dist/` with its three runtime
// dependencies from Debian (bookworm has them):
//
//     apt-get install -y node-request node-bluebird node-uuid
//     git clone --depth 1 https://github.com/segmentio/public-api-sdk-typescript /tmp/segment-sdk-ts
//     export NODE_PATH=/usr/share/nodejs SEGMENT_SDK=/tmp/segment-sdk-ts/dist/api.js
//
// Then, with Sluice running (`swift run -c release sluice serve --database memory --token my-token`):
//
//     SLUICE_URL=http://127.0.0.1:8080 SLUICE_TOKEN=my-token node examples/typescript_sdk_session.mjs
//
// It prints one line per operation and exits non-zero if any of them failed. It makes three
// subscription writes (the limit is five a minute).

import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { configureApis, unwrap } = require(process.env.SEGMENT_SDK ?? '@segment/public-api-sdk-typescript')

const URL = process.env.SLUICE_URL ?? 'http://127.0.0.1:8080'
const TOKEN = process.env.SLUICE_TOKEN ?? 'my-token'
const AMPLITUDE = '54521fd525e721e32a72ee91'
const WEBHOOKS = '614a3c7d791c91c41bae7599'
const WEBHOOKS_SEND = 'nFPnRozhz1mh4Gbx4MLvT5'
const HTTP_API = 'iUM16Md8P2'

const api = configureApis(TOKEN)
for (const client of Object.values(api)) client.basePath = URL

const failures = []
const ids = {}

async function step(name, fn) {
  try {
    const summary = await fn()
    console.log(`ok    ${name}${summary === undefined ? '' : ': ' + summary}`)
  } catch (e) {
    failures.push(name)
    console.log(`FAIL  ${name}: ${e instanceof Error ? e.stack : JSON.stringify(e)}`)
  }
}

// `unwrap` rethrows the first error of Segment's envelope; this checks that it did.
async function expectError(status, promise) {
  try {
    await unwrap(promise)
  } catch (e) {
    if (e instanceof Error) throw e
    if (e.status !== status || !e.type) throw new Error(`got ${JSON.stringify(e)}, wanted status ${status}`)
    return `${e.status} ${e.type}: ${e.message}`
  }
  throw new Error(`no error, wanted ${status}`)
}

await step('getWorkspace', async () => (await unwrap(api.workspaces.getWorkspace())).workspace.slug)
await step('getDestinationsCatalog', async () =>
  `${(await unwrap(api.catalog.getDestinationsCatalog({ count: 200 }))).pagination.totalEntries} entries`)
await step('getDestinationMetadata', async () =>
  (await unwrap(api.catalog.getDestinationMetadata(AMPLITUDE))).destinationMetadata.name)
await step('getSourcesCatalog', async () =>
  `${(await unwrap(api.catalog.getSourcesCatalog({ count: 50 }))).pagination.totalEntries} entries`)
await step('getSourceMetadata', async () => (await unwrap(api.catalog.getSourceMetadata(HTTP_API))).sourceMetadata.name)

await step('createSource', async () => {
  const { source } = await unwrap(api.sources.createSource({ slug: `ts-session-${Date.now()}`, enabled: true, metadataId: HTTP_API }))
  ids.source = source.id
  return `${source.id} writeKey=${source.writeKeys[0]}`
})
await step('listSources', async () => `${(await unwrap(api.sources.listSources({ count: 10 }))).pagination.totalEntries} sources`)
await step('getSource', async () => (await unwrap(api.sources.getSource(ids.source))).source.slug)
await step('updateSource', async () => (await unwrap(api.sources.updateSource(ids.source, { name: 'TS session source' }))).source.name)

// The seed's request, as its TypeScript example sends it.
await step('createDestination (Amplitude)', async () => {
  const { destination } = await unwrap(api.destinations.createDestination({
    sourceId: ids.source,
    metadataId: AMPLITUDE,
    name: 'my destination v1',
    settings: { apiKey: '3cb9b589437d3904f19b2b791c2cdada', retarget: true },
  }))
  ids.amplitude = destination.id
  return `${destination.id} apiKey=${destination.settings.apiKey}`
})
await step('listDestinations (all pages of 1)', async () => {
  let cursor, seen = 0, pages = 0
  do {
    const page = await unwrap(api.destinations.listDestinations({ count: 1, cursor }))
    seen += page.destinations.length
    pages += 1
    cursor = page.pagination.next
  } while (cursor)
  return `${seen} destinations in ${pages} pages`
})
await step('getDestination', async () => (await unwrap(api.destinations.getDestination(ids.amplitude))).destination.metadata.slug)
await step('updateDestination {enabled: false}', async () =>
  `enabled=${(await unwrap(api.destinations.updateDestination(ids.amplitude, { enabled: false }))).destination.enabled}`)
await step('listConnectedDestinationsFromSource', async () =>
  `${(await unwrap(api.sources.listConnectedDestinationsFromSource(ids.source, { count: 10 }))).destinations.length} connected`)

await step('createDestination (Webhooks (Actions))', async () => {
  ids.webhooks = (await unwrap(api.destinations.createDestination({
    sourceId: ids.source, metadataId: WEBHOOKS, name: 'webhooks', enabled: true, settings: {},
  }))).destination.id
  return ids.webhooks
})
await step('createDestinationSubscription', async () => {
  const { destinationSubscription } = await unwrap(api.destinations.createDestinationSubscription(ids.webhooks, {
    name: 'Orders', actionId: WEBHOOKS_SEND, trigger: 'type = "track" and event = "Order Completed"',
    enabled: true, settings: { url: 'http://127.0.0.1:9/x' },
  }))
  ids.subscription = destinationSubscription.id
  return `${destinationSubscription.id} actionSlug=${destinationSubscription.actionSlug}`
})
await step('listSubscriptionsFromDestination', async () =>
  `${(await unwrap(api.destinations.listSubscriptionsFromDestination(ids.webhooks, { count: 10 }))).subscriptions.length} subscriptions`)
await step('getSubscriptionFromDestination', async () =>
  (await unwrap(api.destinations.getSubscriptionFromDestination(ids.webhooks, ids.subscription))).subscription.trigger)
await step('updateSubscriptionForDestination', async () =>
  (await unwrap(api.destinations.updateSubscriptionForDestination(ids.webhooks, ids.subscription, {
    input: { name: 'Orders, renamed', enabled: false },
  }))).subscription.name)
await step('listDeliveryMetricsSummaryFromDestination', async () =>
  (await unwrap(api.destinations.listDeliveryMetricsSummaryFromDestination(ids.webhooks, ids.source)))
    .deliveryMetricsSummary.metrics.map((m) => `${m.metricName}=${m.total}`).join(', '))
await step('listAuditEvents', async () =>
  [...new Set((await unwrap(api.auditTrail.listAuditEvents(undefined, undefined, undefined, undefined, { count: 50 })))
    .events.map((e) => e.type))].sort().join(', '))

await step('getDestination unknown id -> 404', () => expectError(404, api.destinations.getDestination('doesNotExist0000000000')))
await step('createDestination wrong setting type -> 422', () => expectError(422, api.destinations.createDestination({
  sourceId: ids.source, metadataId: AMPLITUDE, settings: { batchEvents: 'yes' },
})))

await step('removeSubscriptionFromDestination', async () =>
  (await unwrap(api.destinations.removeSubscriptionFromDestination(ids.webhooks, ids.subscription))).status)
await step('deleteDestination', async () => (await unwrap(api.destinations.deleteDestination(ids.amplitude))).status)
await step('deleteSource', async () => (await unwrap(api.sources.deleteSource(ids.source))).status)

console.log(`\n${failures.length} failed${failures.length ? ': ' + failures.join(', ') : ''}`)
process.exit(failures.length ? 1 : 0)
