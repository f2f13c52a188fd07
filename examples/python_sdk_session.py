#!/usr/bin/env python3
"""A session with Segment's official Python SDK against a local Sluice.

The SDK (`segment_public_api`) is used unchanged; only its `host` points at Sluice. Every
operation below goes through the SDK's own request building and its strict pydantic response
models, so a response that differs from Segment's in shape, type or content type fails here.

Install the SDK (it is not on PyPI; its dependencies are) into a throw-away virtualenv:

    python3 -m venv /tmp/segment-sdk
    /tmp/segment-sdk/bin/pip install git+https://github.com/segmentio/public-api-sdk-python.git

(or `pip install PATH` with PATH a clone of that repository). It was checked with the SDK's
version 73.2.0.

Run Sluice and this session:

    swift run -c release sluice serve --database memory --token my-token &
    SLUICE_URL=http://127.0.0.1:8080 SLUICE_TOKEN=my-token \
        /tmp/segment-sdk/bin/python examples/python_sdk_session.py

It prints one line per operation and exits non-zero if any of them failed. It needs the
Destination Subscriptions feature on (the default) and makes four subscription writes (the limit
is five a minute), so with rate limits on, run it at most once a minute.
"""

import base64
import json
import os
import sys
import time
import traceback

import segment_public_api as sp
from segment_public_api.exceptions import ApiException, NotFoundException, UnprocessableEntityException

URL = os.environ.get("SLUICE_URL", "http://127.0.0.1:8080")
TOKEN = os.environ.get("SLUICE_TOKEN", "my-token")

AMPLITUDE = "54521fd525e721e32a72ee91"  # Amplitude (catalog id, as in Segment's seed)
WEBHOOKS = "614a3c7d791c91c41bae7599"  # Webhooks (Actions)
WEBHOOKS_SEND = "nFPnRozhz1mh4Gbx4MLvT5"  # its "Send" action
HTTP_API = "iUM16Md8P2"  # the HTTP API source

failures = []


def step(name, fn):
    """Runs one operation; prints `ok` with a summary, or the failure."""
    try:
        summary = fn()
        print(f"ok    {name}" + (f": {summary}" if summary else ""))
    except Exception as e:  # noqa: BLE001 - report every failure, keep going
        failures.append(name)
        detail = "".join(traceback.format_exception_only(type(e), e)).strip()
        print(f"FAIL  {name}: {detail}")


def expect_error(exc_type, status, call):
    """Calls `call`, which must raise the SDK's `exc_type` with Segment's error envelope."""
    try:
        call()
    except exc_type as e:
        assert e.status == status, f"status {e.status}, wanted {status}"
        body = json.loads(e.body)
        assert body["errors"] and body["errors"][0]["type"], body
        if status != 401:  # the SDK parses the envelope for the statuses the API documents
            assert isinstance(e.data, sp.RequestErrorEnvelope), f"data is {type(e.data).__name__}"
        return f"{type(e).__name__} {e.status}: {body['errors'][0]['message']}"
    raise AssertionError(f"no {exc_type.__name__} raised")


configuration = sp.Configuration(host=URL, access_token=TOKEN)
with sp.ApiClient(configuration) as client:
    workspaces = sp.WorkspacesApi(client)
    catalog = sp.CatalogApi(client)
    sources = sp.SourcesApi(client)
    destinations = sp.DestinationsApi(client)
    audit = sp.AuditTrailApi(client)
    ids = {}

    # Workspace and catalog.
    step("getWorkspace", lambda: workspaces.get_workspace().data.workspace.slug)
    step("getDestinationsCatalog", lambda: "%d entries" % catalog.get_destinations_catalog(
        pagination=sp.PaginationInput(count=200)).data.pagination.total_entries)
    step("getDestinationMetadata", lambda: catalog.get_destination_metadata(AMPLITUDE).data.destination_metadata.name)
    step("getSourcesCatalog", lambda: "%d entries" % catalog.get_sources_catalog(
        pagination=sp.PaginationInput(count=50)).data.pagination.total_entries)
    step("getSourceMetadata", lambda: catalog.get_source_metadata(HTTP_API).data.source_metadata.name)

    # Sources.
    def create_source():
        slug = "sdk-session-%d" % time.time_ns()
        request = sp.CreateSourceV1Input(slug=slug, enabled=True, metadata_id=HTTP_API)
        response = sources.create_source_with_http_info(request)
        if response.data is None:  # the SDK found no model for this status: keep the session going
            raw = json.loads(response.raw_data)["data"]["source"]
            ids["source"], ids["writeKey"] = raw["id"], raw["writeKeys"][0]
            raise AssertionError(f"HTTP {response.status_code}: the SDK has a model only for 201, data is None")
        source = response.data.data.source
        ids["source"] = source.id
        ids["writeKey"] = source.write_keys[0]
        return f"{source.id} slug={source.slug}"
    step("createSource", create_source)
    step("listSources", lambda: "%d sources" % sources.list_sources(
        sp.PaginationInput(count=10)).data.pagination.total_entries)
    step("getSource", lambda: sources.get_source(ids["source"]).data.source.slug)
    step("updateSource", lambda: sources.update_source(ids["source"], sp.UpdateSourceV1Input(
        name="SDK session source")).data.source.name)

    # Destinations: the seed's Amplitude request, then list, get, update, connected.
    def create_amplitude():
        destination = destinations.create_destination(sp.CreateDestinationV1Input(
            source_id=ids["source"], metadata_id=AMPLITUDE, name="my destination v1",
            settings={"apiKey": "3cb9b589437d3904f19b2b791c2cdada", "retarget": True})).data.destination
        ids["amplitude"] = destination.id
        assert destination.settings["apiKey"] == "\u2022" * 10 + "dada", destination.settings["apiKey"]
        return f"{destination.id} enabled={destination.enabled} apiKey={destination.settings['apiKey']}"
    step("createDestination (Amplitude)", create_amplitude)

    def create_more():
        for n in range(3):
            destinations.create_destination(sp.CreateDestinationV1Input(
                source_id=ids["source"], metadata_id=AMPLITUDE, name=f"extra {n}", enabled=False, settings={}))
    step("createDestination x3 (disabled, no settings)", create_more)

    def list_all_pages():
        seen, cursor, pages = [], None, 0
        while True:
            page = destinations.list_destinations(sp.PaginationInput(count=2, cursor=cursor)).data
            seen += [d.id for d in page.destinations]
            pages += 1
            cursor = page.pagination.next
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == page.pagination.total_entries, (seen, page.pagination)
        return f"{len(seen)} destinations in {pages} pages of 2, cursors {base64.b64decode(page.pagination.current)!r}"
    step("listDestinations (all pages)", list_all_pages)
    step("getDestination", lambda: destinations.get_destination(ids["amplitude"]).data.destination.metadata.slug)
    step("updateDestination {enabled: false}", lambda: "enabled=%s" % destinations.update_destination(
        ids["amplitude"], sp.UpdateDestinationV1Input(enabled=False)).data.destination.enabled)
    step("listConnectedDestinationsFromSource", lambda: "%d connected" % len(
        sources.list_connected_destinations_from_source(ids["source"], sp.PaginationInput(count=10)).data.destinations))

    # Subscriptions on a Webhooks (Actions) destination.
    def create_webhooks():
        ids["webhooks"] = destinations.create_destination(sp.CreateDestinationV1Input(
            source_id=ids["source"], metadata_id=WEBHOOKS, name="webhooks", enabled=True,
            settings={})).data.destination.id
        return ids["webhooks"]
    step("createDestination (Webhooks (Actions))", create_webhooks)

    def create_subscription():
        subscription = destinations.create_destination_subscription(ids["webhooks"], sp.CreateDestinationSubscriptionAlphaInput(
            name="Orders", action_id=WEBHOOKS_SEND, trigger='type = "track" and event = "Order Completed"',
            enabled=True, settings={"url": "http://127.0.0.1:9/x"})).data.destination_subscription
        ids["subscription"] = subscription.id
        return f"{subscription.id} actionSlug={subscription.action_slug}"
    step("createDestinationSubscription", create_subscription)
    step("listSubscriptionsFromDestination", lambda: "%d subscriptions" % len(
        destinations.list_subscriptions_from_destination(ids["webhooks"], sp.PaginationInput(count=10)).data.subscriptions))
    step("getSubscriptionFromDestination", lambda: destinations.get_subscription_from_destination(
        ids["webhooks"], ids["subscription"]).data.subscription.trigger)
    step("updateSubscriptionForDestination", lambda: destinations.update_subscription_for_destination(
        ids["webhooks"], ids["subscription"], sp.UpdateSubscriptionForDestinationAlphaInput(
            input=sp.DestinationSubscriptionUpdateInput(name="Orders, renamed", enabled=False))).data.subscription.name)

    # Delivery metrics and the audit trail.
    def metrics():
        summary = destinations.list_delivery_metrics_summary_from_destination(
            ids["webhooks"], ids["source"], granularity="HOUR").data.delivery_metrics_summary
        return ", ".join(f"{m.metric_name}={m.total}" for m in summary.metrics)
    step("listDeliveryMetricsSummaryFromDestination", metrics)
    step("listAuditEvents", lambda: ", ".join(sorted({e.type for e in audit.list_audit_events(
        pagination=sp.PaginationInput(count=50)).data.events})))

    # Errors: the SDK raises its usual exceptions carrying Segment's envelope.
    step("getDestination unknown id -> 404", lambda: expect_error(
        NotFoundException, 404, lambda: destinations.get_destination("doesNotExist0000000000")))
    step("createDestination unknown metadataId -> 404", lambda: expect_error(
        NotFoundException, 404, lambda: destinations.create_destination(sp.CreateDestinationV1Input(
            source_id=ids["source"], metadata_id="000000000000000000000000", settings={}))))
    step("createDestination wrong setting type -> 422", lambda: expect_error(
        UnprocessableEntityException, 422, lambda: destinations.create_destination(sp.CreateDestinationV1Input(
            source_id=ids["source"], metadata_id=AMPLITUDE, settings={"batchEvents": "yes"}))))
    step("createSource bad slug -> 422", lambda: expect_error(
        UnprocessableEntityException, 422, lambda: sources.create_source(sp.CreateSourceV1Input(
            slug="Not A Slug!", enabled=True, metadata_id=HTTP_API))))
    step("createDestinationSubscription bad trigger -> 422", lambda: expect_error(
        UnprocessableEntityException, 422, lambda: destinations.create_destination_subscription(
            ids["webhooks"], sp.CreateDestinationSubscriptionAlphaInput(
                name="x", action_id=WEBHOOKS_SEND, trigger='type = ', enabled=False))))
    bad_token = sp.ApiClient(sp.Configuration(host=URL, access_token="wrong"))
    step("getWorkspace bad token -> 401", lambda: expect_error(
        ApiException, 401, lambda: sp.WorkspacesApi(bad_token).get_workspace()))

    # Clean up.
    step("removeSubscriptionFromDestination", lambda: destinations.remove_subscription_from_destination(
        ids["webhooks"], ids["subscription"]).data.status)
    step("deleteDestination", lambda: destinations.delete_destination(ids["amplitude"]).data.status)
    step("deleteDestination again -> 404", lambda: expect_error(
        NotFoundException, 404, lambda: destinations.delete_destination(ids["amplitude"])))
    step("deleteSource", lambda: sources.delete_source(ids["source"]).data.status)

print(f"\n{len(failures)} failed" + (": " + ", ".join(failures) if failures else ""))
sys.exit(1 if failures else 0)
