import Foundation
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTesting
import Testing

@testable import SluiceApp

/// Every operation's answer, pinned: one file per answer under `Tests/SluiceAppTests/Snapshots/`, so that a change of
/// shape shows as a diff in review.
///
/// The app runs with a fixed clock and fixed ids (``Minting/sequential(start:step:)``); the one value that stays
/// random, the workspace id the store drew when it was made, is written as `{workspaceId}`. A file holds the request
/// line, the status and media type, and the body re-indented without reordering a key. A missing file fails the test
/// after writing what was seen; `SLUICE_RECORD_SNAPSHOTS=1 swift test --filter SnapshotTests` rewrites them all
/// (review the diff before committing it).
@Suite struct SnapshotTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    static let recording = ProcessInfo.processInfo.environment["SLUICE_RECORD_SNAPSHOTS"] == "1"
    static let alpha: HTTPFields = [.accept: "application/vnd.segment.v1alpha+json"]

    /// Compares one answer with its file.
    struct Recorder {
        let client: any TestClientProtocol
        let workspaceID: String

        /// Sends the request, compares the answer with `Snapshots/<name>.txt`, and returns it.
        @discardableResult
        func expect(
            _ name: String, _ method: HTTPRequest.Method, _ uri: String, json: JSONValue? = nil, rawBody: String? = nil,
            token: String? = TestHarness.token, headers: HTTPFields = [:], sourceLocation: SourceLocation = #_sourceLocation
        ) async throws -> APIResponse {
            let response = try await client.api(method, uri, json: json, rawBody: rawBody, token: token, headers: headers)
            let seen = SnapshotTests.render(method: method, uri: uri, response: response, workspaceID: workspaceID)
            let file = SnapshotTests.directory.appendingPathComponent(name + ".txt")
            let recorded = try? String(contentsOf: file, encoding: .utf8)
            if SnapshotTests.recording || recorded == nil {
                try FileManager.default.createDirectory(at: SnapshotTests.directory, withIntermediateDirectories: true)
                try seen.write(to: file, atomically: true, encoding: .utf8)
                if recorded == nil, !SnapshotTests.recording {
                    Issue.record("No snapshot \(name).txt: recorded what was seen; review and commit it", sourceLocation: sourceLocation)
                }
            } else if recorded != seen {
                Issue.record(
                    "The answer differs from Snapshots/\(name).txt (SLUICE_RECORD_SNAPSHOTS=1 to record it):\n\(seen)",
                    sourceLocation: sourceLocation)
            }
            return response
        }
    }

    static func render(method: HTTPRequest.Method, uri: String, response: APIResponse, workspaceID: String) -> String {
        var text = "\(method.rawValue) \(uri)\n\(response.status.code) \(response.headers[.contentType] ?? "-")\n"
        let body = response.text.replacingOccurrences(of: workspaceID, with: "{workspaceId}")
        text += response.headers[.contentType]?.contains("json") == true ? indented(body) : body
        return text.hasSuffix("\n") ? text : text + "\n"
    }

    /// JSON text re-indented by two spaces, every key and value left where and as it was.
    static func indented(_ json: String) -> String {
        var out = ""
        var depth = 0
        var inString = false
        var escaped = false
        let chars = Array(json)
        func newline() { out += "\n" + String(repeating: "  ", count: depth) }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if inString {
                out.append(c)
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                i += 1
                continue
            }
            switch c {
            case "\"":
                inString = true
                out.append(c)
            case "{", "[":
                let close: Character = c == "{" ? "}" : "]"
                if i + 1 < chars.count, chars[i + 1] == close {
                    out += String([c, close])
                    i += 1
                } else {
                    out.append(c)
                    depth += 1
                    newline()
                }
            case "}", "]":
                depth -= 1
                newline()
                out.append(c)
            case ",":
                out.append(c)
                newline()
            case ":":
                out += ": "
            case " ", "\n", "\t", "\r":
                break
            default:
                out.append(c)
            }
            i += 1
        }
        return out
    }

    @Test func theIndenterKeepsOrderAndStrings() {
        #expect(SnapshotTests.indented(#"{"b":[1,{}],"a":"x,{:}\"y"}"#) == "{\n  \"b\": [\n    1,\n    {}\n  ],\n  \"a\": \"x,{:}\\\"y\"\n}")
    }

    @Test func everyOperationsAnswer() async throws {
        try await TestHarness.withApp(minting: .sequential()) { client, store in
            let workspace = try await store.workspace()
            let r = Recorder(client: client, workspaceID: workspace.id)

            // Workspace and catalog
            try await r.expect("workspace-get", .get, "/")
            try await r.expect("catalog-destinations-list", .get, "/catalog/destinations?pagination.count=2")
            try await r.expect("catalog-destinations-get", .get, "/catalog/destinations/\(Fixture.webhooks)")
            try await r.expect("catalog-sources-list", .get, "/catalog/sources?pagination.count=2")
            try await r.expect("catalog-sources-get", .get, "/catalog/sources/\(Fixture.netSource)")

            // Sources
            let source = try await r.expect(
                "sources-create", .post, "/sources", json: ["slug": "web", "enabled": true, "metadataId": .string(Fixture.netSource)])
            let sourceID = try #require(source.data["source"]?["id"]?.stringValue)
            try await r.expect("sources-list", .get, "/sources?pagination.count=10")
            try await r.expect("sources-get", .get, "/sources/\(sourceID)")
            try await r.expect("sources-update", .patch, "/sources/\(sourceID)", json: ["name": "Web", "settings": ["a": 1]])

            // Destinations
            let destination = try await r.expect(
                "destinations-create", .post, "/destinations",
                json: [
                    "sourceId": .string(sourceID), "metadataId": .string(Fixture.webhooks), "name": "Hooks",
                    "settings": ["sharedSecret": "shh-0123456789"],
                ])
            let destinationID = try #require(destination.data["destination"]?["id"]?.stringValue)
            try await r.expect("destinations-list", .get, "/destinations?pagination.count=10")
            try await r.expect("destinations-get", .get, "/destinations/\(destinationID)")
            try await r.expect("destinations-update", .patch, "/destinations/\(destinationID)", json: ["enabled": false, "name": nil])
            try await r.expect("sources-connected-destinations", .get, "/sources/\(sourceID)/connected-destinations?pagination.count=10")

            // Subscriptions
            let base = "/destinations/\(destinationID)/subscriptions"
            let subscription = try await r.expect(
                "subscriptions-create", .post, base,
                json: [
                    "name": "Send", "actionId": .string(WebhookAction.send), "trigger": "type = \"track\"", "enabled": true,
                    "settings": ["url": "https://example.com/hook"],
                ], headers: Self.alpha)
            let subscriptionID = try #require(subscription.data["destinationSubscription"]?["id"]?.stringValue)
            try await r.expect("subscriptions-presets-none", .post, base + "/presets", json: [:], headers: Self.alpha)
            try await r.expect("subscriptions-list", .get, base + "?pagination.count=10", headers: Self.alpha)
            try await r.expect("subscriptions-get", .get, base + "/\(subscriptionID)", headers: Self.alpha)
            try await r.expect(
                "subscriptions-update", .patch, base + "/\(subscriptionID)", json: ["input": ["name": "Send it", "enabled": false]],
                headers: Self.alpha)
            try await r.expect("subscriptions-remove", .delete, base + "/\(subscriptionID)", headers: Self.alpha)

            // Destination filters
            let filters = "/destination/\(destinationID)/filters"
            let filter = try await r.expect(
                "filters-create", .post, filters,
                json: [
                    "sourceId": .string(sourceID), "if": "event = \"Test\"", "actions": [["type": "DROP"]], "title": "No tests",
                    "enabled": true,
                ])
            let filterID = try #require(filter.data["filter"]?["id"]?.stringValue)
            try await r.expect("filters-list", .get, filters)
            try await r.expect("filters-get", .get, filters + "/\(filterID)")
            try await r.expect("filters-update", .patch, filters + "/\(filterID)", json: ["description": "Test events stay home"])
            try await r.expect(
                "filters-preview", .post, "/destination/filters/preview",
                json: [
                    "filter": ["if": "all", "actions": [["type": "DROP_PROPERTIES", "fields": ["properties": ["email"]]]]],
                    "payload": ["type": "track", "event": "Signed Up", "properties": ["email": "a@example.com", "plan": "pro"]],
                ])
            try await r.expect("filters-remove", .delete, filters + "/\(filterID)")

            // Delivery metrics and the audit trail
            try await r.expect(
                "delivery-metrics", .get,
                "/destinations/\(destinationID)/delivery-metrics?sourceId=\(sourceID)&startTime=2025-12-31T23:00:00Z&endTime=2026-01-01T00:00:00Z&granularity=MINUTE"
            )
            // The Delivery Overview (five minutes before the fixed clock's start: every step answers its zeros)
            let window = "startTime=2025-12-31T23:55:00Z&endTime=2026-01-01T00:00:00Z&granularity=MINUTE"
            let beta: HTTPFields = [.accept: "application/vnd.segment.v1beta+json"]
            for step in DeliveryOverviewStep.allCases {
                let destination = step.takesDestination ? "&destinationConfigId=\(destinationID)" : ""
                try await r.expect(
                    "delivery-overview-\(step.rawValue)", .get, "/delivery-overview/\(step.rawValue)?sourceId=\(sourceID)\(destination)&\(window)",
                    headers: beta)
            }
            try await r.expect(
                "delivery-overview-grouped", .get,
                "/delivery-overview/failed-delivery?sourceId=\(sourceID)&destinationConfigId=\(destinationID)&\(window)&groupBy.0=discard%20Reason&pagination%5Bcount%5D=5",
                headers: beta)
            try await r.expect(
                "delivery-overview-error-422", .get, "/delivery-overview/successful-delivery?sourceId=\(sourceID)&\(window)", headers: beta)
            try await r.expect("audit-events-list", .get, "/audit-events?pagination.count=50")

            // Errors, one of each kind
            try await r.expect("error-401", .get, "/destinations", token: nil)
            try await r.expect("error-403-read-only", .post, "/sources", json: [:], token: TestHarness.readOnlyToken)
            try await r.expect("error-404", .get, "/destinations/nope")
            try await r.expect("error-400-bad-json", .post, "/sources", rawBody: "{\"slug\":")
            try await r.expect("error-422", .post, "/sources", json: ["slug": "Bad Slug", "enabled": true, "metadataId": .string(Fixture.netSource)])

            // Presets, on an Actions destination that has them
            let amplitude = try await client.api(
                .post, "/destinations",
                json: ["sourceId": .string(sourceID), "metadataId": "5f7dd6d21ad74f3842b1fc47", "settings": ["apiKey": "k", "secretKey": "s"]])
            let amplitudeID = try #require(amplitude.data["destination"]?["id"]?.stringValue)
            try await r.expect(
                "subscriptions-presets", .post, "/destinations/\(amplitudeID)/subscriptions/presets", json: ["presets": ["Track Calls"]],
                headers: Self.alpha)

            // Deletes
            try await r.expect("destinations-delete", .delete, "/destinations/\(destinationID)")
            try await r.expect("sources-delete", .delete, "/sources/\(sourceID)")
        }
    }
}
