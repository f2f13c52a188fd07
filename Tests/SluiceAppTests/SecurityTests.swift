import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SluiceCore
import SluiceTesting
import Synchronization
import Testing

@testable import SluiceApp

/// The security review of issue #9, one test per promise of SECURITY.md, all through HTTP.
@Suite struct SecurityTests {
    /// Every operation of the OpenAPI document Sluice serves, plus `/metrics`, as (method, path template).
    static let operations: [(HTTPRequest.Method, String)] = {
        var found: [(HTTPRequest.Method, String)] = []
        var path: String?
        var inPaths = false
        for line in String(buffer: OpenAPIDocument.body).split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            if !line.isEmpty, !line.hasPrefix(" ") { break }  // the next top-level key
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let name = line.trimmingCharacters(in: .whitespaces).dropLast().uppercased()
                if let method = HTTPRequest.Method(name), ["GET", "POST", "PATCH", "PUT", "DELETE"].contains(name) {
                    found.append((method, path))
                }
            }
        }
        return found + [(.get, "/metrics")]
    }()

    static let publicPaths: Set<String> = ["/healthz", "/openapi.yaml"]

    /// The path with each `{parameter}` replaced by `value`.
    static func fill(_ template: String, _ values: [String: String] = [:], default value: String = "x") -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            out += values[name] ?? value
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    @Test func theDocumentListsEveryRoute() {
        // Guards the loops below: if the document could not be read, they would check nothing.
        let paths = Set(Self.operations.map(\.1))
        #expect(Self.operations.count >= 24)
        for path in ["/", "/sources", "/destinations/{destinationId}", "/destinations/{destinationId}/subscriptions/{id}", "/audit-events"] {
            #expect(paths.contains(path), "\(path) missing from \(paths.sorted())")
        }
    }

    // MARK: - Authentication

    @Test func everyRouteButThePublicOnesNeedsAToken() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource()
            let writeKey = try #require(try await store.source(id: sourceID)?.writeKeys.first)
            let writeKeyBasic = "Basic " + Data("\(writeKey):".utf8).base64EncodedString()
            let tokenBasic = "Basic " + Data("\(TestHarness.token):".utf8).base64EncodedString()
            let wrong: [HTTPFields] = [
                [:], [.authorization: "Bearer nope"], [.authorization: "Bearer \(TestHarness.token)x"],
                [.authorization: "Bearer \(TestHarness.token.dropLast())"], [.authorization: "bearer"],
                [.authorization: "Bearer \(String(repeating: "a", count: 100_000))"],
                // A write key is not a token, whichever way it is sent; nor is a token sent as Basic.
                [.authorization: "Bearer \(writeKey)"], [.authorization: writeKeyBasic], [.authorization: tokenBasic],
                // The hash of the token is not the token.
                [.authorization: "Bearer \(TokenAuthenticator.hash(TestHarness.token))"],
            ]
            var checked = 0
            for (method, template) in Self.operations where !Self.publicPaths.contains(template) && !template.hasPrefix("/v1/") {
                let uri = Self.fill(template, ["sourceId": sourceID]) + "?pagination.count=10"
                for headers in wrong {
                    let response = try await client.api(
                        method, uri, json: method == .get || method == .delete ? nil : [:], token: nil, headers: headers)
                    expectError(response, .unauthorized, type: "Unauthorized")
                    checked += 1
                }
            }
            #expect(checked >= 23 * wrong.count)
            // The public routes answer without a token.
            for path in Self.publicPaths {
                #expect(try await client.api(.get, path, token: nil).status == .ok)
            }
            // Nothing was created by any of it.
            #expect(try await store.listSources(page: PageRequest(count: 10)).totalEntries == 1)
        }
    }

    @Test func tokensCannotSendEvents() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource()
            let writeKey = try #require(try await store.source(id: sourceID)?.writeKeys.first)
            let event: JSONValue = ["userId": "u1", "event": "E"]
            for type in ["track", "batch"] {
                let body: JSONValue = type == "batch" ? ["batch": [["type": "track", "userId": "u1", "event": "E"]]] : event
                for auth in [
                    "Bearer \(TestHarness.token)", "Basic " + Data("\(TestHarness.token):".utf8).base64EncodedString(),
                    "Basic " + Data("\(TestHarness.readOnlyToken):".utf8).base64EncodedString(),
                ] {
                    let response = try await client.api(.post, "/v1/\(type)", json: body, token: nil, headers: [.authorization: auth])
                    expectError(response, .unauthorized, type: "Unauthorized")
                }
                // Nor in the body's writeKey field.
                var withKey = body.objectValue!
                withKey["writeKey"] = .string(TestHarness.token)
                expectError(try await client.api(.post, "/v1/\(type)", json: .object(withKey), token: nil), .unauthorized)
            }
            // The write key itself works.
            let ok = try await client.api(
                .post, "/v1/track", json: event, token: nil,
                headers: [.authorization: "Basic " + Data("\(writeKey):".utf8).base64EncodedString()])
            #expect(ok.status == .ok, "\(ok.text)")
        }
    }

    @Test func tokensAreStoredHashedAndComparedInConstantTime() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-security-\(Identifier.make())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let token = "sluice_tok_" + Identifier.random(length: 30)
        var settings = AppSettings.testing()
        settings.database = .sqlite(path: folder.appendingPathComponent("s.sqlite").path)
        let store = try await openStore(settings, logger: Logger(label: "test"))
        let tokens = TokenAuthenticator(store: store)
        try await tokens.ensure(token, actor: "test")
        // Looked up by its SHA-256 hash; the stored record holds only the hash.
        let stored = try #require(try await store.token(hash: TokenAuthenticator.hash(token)))
        #expect(stored.hash == TokenAuthenticator.hash(token))
        #expect(stored.hash.count == 64 && stored.hash != token)
        #expect(try await tokens.verify(token) != nil)
        #expect(try await tokens.verify(token + " ") == nil)
        try await store.close()
        // Nowhere in the database's files, in any encoding a careless store might use.
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let bytes = try Data(contentsOf: folder.appendingPathComponent(file))
            for needle in [Data(token.utf8), Data(token.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })] {
                #expect(bytes.range(of: needle) == nil, "the token's text is in \(file)")
            }
        }
        // The comparison looks at every byte whatever the first difference (no early exit).
        #expect(TokenAuthenticator.constantTimeEquals("abc", "abc"))
        #expect(!TokenAuthenticator.constantTimeEquals("abc", "abd"))
        #expect(!TokenAuthenticator.constantTimeEquals("xbc", "abc"))
        #expect(!TokenAuthenticator.constantTimeEquals("abc", "abcd"))
        #expect(!TokenAuthenticator.constantTimeEquals("", "a"))
    }

    @Test func aNewStoreFileIsReadableByItsOwnerOnly() async throws {
        // Given a path where no store exists yet
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-mode-\(Identifier.make())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var settings = AppSettings.testing()
        settings.database = .sqlite(path: folder.appendingPathComponent("s.sqlite").path)
        // When the store is opened and written to
        let store = try await openStore(settings, logger: Logger(label: "test"))
        try await TokenAuthenticator(store: store).ensure("mode-check-token", actor: "test")
        // Then the file and its -wal and -shm companions are 0600: they hold secrets in clear
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let mode = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(file).path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file) has mode \(String(mode ?? 0, radix: 8))")
        }
        try await store.close()
    }

    // MARK: - Read-only tokens

    @Test func readOnlyTokensCannotWriteAnything() async throws {
        try await TestHarness.withApp { client, store in
            // Given one of everything, so that each write would find its target
            let (sourceID, destinationID) = try await client.createWebhookDestination(sharedSecret: "ro-secret-1234")
            let created = try await client.api(
                .post, "/destinations/\(destinationID)/subscriptions",
                json: [
                    "name": "s", "actionId": .string(WebhookAction.send), "trigger": "type = \"track\"", "enabled": false,
                    "settings": ["url": "http://127.0.0.1:9/hook"],
                ],
                headers: [.accept: "application/vnd.segment.v1alpha+json"])
            #expect(created.status == .ok, "\(created.text)")
            let subscriptionID = try #require(created.data["destinationSubscription"]?["id"]?.stringValue)
            let ids = ["sourceId": sourceID, "destinationId": destinationID, "id": subscriptionID]
            let before = try await snapshot(client)
            // When a read-only token tries every write operation, with a body that would otherwise succeed
            let bodies: [String: JSONValue] = [
                "/sources": ["slug": "ro-new", "enabled": true, "metadataId": .string(Fixture.netSource)],
                "/destinations": ["sourceId": .string(sourceID), "metadataId": .string(Fixture.webhooks), "settings": [:]],
                "/sources/{sourceId}": ["enabled": false],
                "/destinations/{destinationId}": ["enabled": false, "name": "changed"],
                "/destinations/{destinationId}/subscriptions": [
                    "name": "t", "actionId": .string(WebhookAction.send), "trigger": "type = \"track\"", "enabled": false,
                ],
                "/destinations/{destinationId}/subscriptions/{id}": ["input": ["name": "changed"]],
            ]
            var writes = 0
            // (The filter preview, the trigger check and the mapping preview are POSTs that change nothing; FiltersTests
            // and ConsoleTests check a read-only token may send them.)
            for (method, template) in Self.operations
            where method != .get && !template.hasPrefix("/v1/") && !AuthMiddleware.readOnlyPosts.contains(template) {
                let response = try await client.api(
                    method, Self.fill(template, ids), json: bodies[template] ?? [:], token: TestHarness.readOnlyToken,
                    headers: [.accept: "application/vnd.segment.v1alpha+json"])
                expectError(response, .forbidden, type: "Forbidden")
                writes += 1
            }
            // Methods the document does not list are refused before anything else too.
            for method: HTTPRequest.Method in [.put, .post, .delete] {
                expectError(try await client.api(method, "/", json: [:], token: TestHarness.readOnlyToken), .forbidden)
            }
            // Then every write operation was tried, and nothing changed
            #expect(writes >= 8)
            #expect(try await snapshot(client) == before)
        }
    }

    /// What a full token reads of the workspace: sources, destinations, subscriptions, audit trail.
    private func snapshot(_ client: any TestClientProtocol) async throws -> [String] {
        var seen: [String] = []
        for uri in ["/sources?pagination.count=200", "/destinations?pagination.count=200", "/audit-events?pagination.count=200"] {
            seen.append(try await client.api(.get, uri).text)
        }
        for destination in try await client.api(.get, "/destinations?pagination.count=200").data["destinations"]?.arrayValue ?? [] {
            let id = destination["id"]?.stringValue ?? ""
            seen.append(
                try await client.api(
                    .get, "/destinations/\(id)/subscriptions?pagination.count=200", headers: [.accept: "application/vnd.segment.v1alpha+json"]
                ).text)
        }
        return seen
    }

    // MARK: - Secrets

    @Test func secretsAndTokensNeverLeak() async throws {
        // Given known secrets: a token, two secret settings, a write key
        let token = "sluice_leakcheck_" + Identifier.random(length: 24)
        let apiKey = "AKSECRETPREFIX" + Identifier.random(length: 14) + "dada"
        let sharedSecret = "SHSECRETPREFIX" + Identifier.random(length: 14) + "beef"
        let secrets = [token, apiKey, sharedSecret, String(apiKey.dropLast(4)), String(sharedSecret.dropLast(4)), "AKSECRETPREFIX", "SHSECRETPREFIX"]
        let logs = LogCapture()
        var settings = AppSettings.testing()
        settings.logLevel = .trace
        let logger = Logger(label: "sluice.security") { _ in logs.handler() }
        let store = try await openStore(settings, logger: logger)
        try await TokenAuthenticator(store: store).ensure(token, actor: "test")
        let app = try await buildApplication(settings: settings, store: store, catalog: TestHarness.catalog, logger: logger)
        let seen = LogCapture()
        let writeKeys = LogCapture()
        try await app.test(.router) { client in
            func call(
                _ method: HTTPRequest.Method, _ uri: String, _ json: JSONValue? = nil, raw: String? = nil, headers: HTTPFields = [:]
            ) async throws -> APIResponse {
                var all: HTTPFields = [.accept: "application/vnd.segment.v1alpha+json"]
                for field in headers { all[field.name] = field.value }
                let response = try await client.api(method, uri, json: json, rawBody: raw, token: token, headers: all)
                seen.append("\(response.status.code) \(response.headers) \(response.text)")
                return response
            }
            // When a whole session runs: create, read, update, fail, list, send events, delete
            let source = try await call(.post, "/sources", ["slug": "leak", "enabled": true, "metadataId": .string(Fixture.netSource)])
            let sourceID = try #require(source.data["source"]?["id"]?.stringValue)
            let writeKey = try #require(source.data["source"]?["writeKeys"]?.arrayValue?.first?.stringValue)
            writeKeys.append(writeKey)
            let amplitude = try await call(
                .post, "/destinations",
                ["sourceId": .string(sourceID), "metadataId": .string(Fixture.amplitude), "settings": ["apiKey": .string(apiKey)]])
            let amplitudeID = try #require(amplitude.data["destination"]?["id"]?.stringValue, "\(amplitude.text)")
            let webhook = try await call(
                .post, "/destinations",
                ["sourceId": .string(sourceID), "metadataId": .string(Fixture.webhooks), "settings": ["sharedSecret": .string(sharedSecret)]])
            let webhookID = try #require(webhook.data["destination"]?["id"]?.stringValue, "\(webhook.text)")
            let subscription = try await call(
                .post, "/destinations/\(webhookID)/subscriptions",
                [
                    "name": "s", "actionId": .string(WebhookAction.send), "trigger": "type = \"track\"", "enabled": true,
                    "settings": ["url": "http://127.0.0.1:9/hook"],
                ])
            let subscriptionID = try #require(subscription.data["destinationSubscription"]?["id"]?.stringValue, "\(subscription.text)")
            _ = try await call(.get, "/destinations/\(amplitudeID)")
            _ = try await call(.get, "/destinations/\(webhookID)")
            _ = try await call(.get, "/destinations?pagination.count=10")
            _ = try await call(.get, "/sources/\(sourceID)/connected-destinations?pagination.count=10")
            _ = try await call(.patch, "/destinations/\(amplitudeID)", ["settings": ["apiKey": .string(apiKey)], "name": "renamed"])
            _ = try await call(.patch, "/destinations/\(webhookID)", ["settings": ["sharedSecret": .string(sharedSecret)]])
            // Bad settings that carry the secrets, so that an error message might echo them. (Values a client puts in a
            // path, a query, X-Request-Id or a trigger are echoed by design: they are names, not secrets.)
            _ = try await call(.patch, "/destinations/\(amplitudeID)", ["settings": ["apiKey": ["nested": .string(apiKey)]]])
            _ = try await call(.patch, "/destinations/\(amplitudeID)", ["settings": ["noSuchSetting": .string(apiKey), "apiKey": 12]])
            _ = try await call(.patch, "/destinations/\(amplitudeID)", raw: #"{"settings": {"apiKey": "\#(apiKey)""#)
            _ = try await call(.patch, "/destinations/\(amplitudeID)", raw: #"{"settings": {"apiKey": "\#(apiKey)", "apiKey": "\#(apiKey)"}}"#)
            _ = try await call(.get, "/metrics")
            // Events through the Tracking API, delivered (and refused by the receiver) with the shared secret
            let basic = "Basic " + Data("\(writeKey):".utf8).base64EncodedString()
            for i in 0..<3 {
                let r = try await client.api(
                    .post, "/v1/track", json: ["userId": .string("u\(i)"), "event": "E", "properties": ["k": .string(apiKey)]], token: nil,
                    headers: [.authorization: basic])
                seen.append("\(r.status.code) \(r.headers) \(r.text)")
            }
            try await Task.sleep(for: .milliseconds(300))
            _ = try await call(
                .get, "/destinations/\(webhookID)/delivery-metrics?sourceId=\(sourceID)", headers: [.accept: "application/vnd.segment.v1beta+json"])
            // The audit trail, every page of it
            let audit = try await call(.get, "/audit-events?pagination.count=200")
            #expect((audit.data["events"]?.arrayValue?.count ?? 0) >= 5, "\(audit.text)")
            _ = try await call(.delete, "/destinations/\(webhookID)/subscriptions/\(subscriptionID)")
            _ = try await call(.delete, "/destinations/\(amplitudeID)")
            _ = try await call(.delete, "/sources/\(sourceID)")
            _ = try await call(.get, "/audit-events?pagination.count=200")
        }
        let audit = try await store.listAuditEvents(filter: AuditFilter(), page: PageRequest(count: 200))
        try await store.close()
        // Then no secret is in any response, any log line or any audit event (the write key is not in logs or audit)
        let writeKey = writeKeys.text
        #expect(!writeKey.isEmpty)
        let responses = seen.all
        let auditText = audit.items.map { "\($0)" }.joined(separator: "\n")
        let logText = logs.text
        #expect(logs.count > 20, "the session logged \(logs.count) lines")
        for secret in secrets {
            for response in responses where response.contains(secret) {
                Issue.record("a response holds \(secret.prefix(14))…: \(response.prefix(300))")
            }
            #expect(!logText.contains(secret), "the log holds \(secret.prefix(14))…")
            #expect(!auditText.contains(secret), "the audit trail holds \(secret.prefix(14))…")
        }
        #expect(!logText.contains(writeKey), "the log holds the write key")
        #expect(!auditText.contains(writeKey), "the audit trail holds the write key")
        // The masked forms are what the responses show.
        #expect(responses.contains { $0.contains("••••••••••dada") })
        #expect(responses.contains { $0.contains("••••••••••beef") })
    }

    // MARK: - Error messages

    @Test func errorMessagesCarryNoStackTraceOrPath() async throws {
        try await TestHarness.withApp { client, _ in
            let requests: [(HTTPRequest.Method, String, String?, HTTPFields)] = [
                (.get, "/nope", nil, [:]),
                (.put, "/sources", "{}", [:]),
                (.get, "/sources", nil, [:]),
                (.get, "/sources?pagination.count=0", nil, [:]),
                (.get, "/sources?pagination.count=1e400", nil, [:]),
                (.get, "/sources?pagination=%7B", nil, [:]),
                (.get, "/sources?pagination.count=1&pagination.cursor=%FF%FE", nil, [:]),
                (.get, "/sources/zzz", nil, [:]),
                (.post, "/sources", "{", [:]),
                (.post, "/sources", "[1,2", [:]),
                (.post, "/sources", String(repeating: "[", count: 10_000), [:]),
                (.post, "/sources", #"{"slug": 1e400}"#, [:]),
                (.post, "/sources", #"{"slug": "a", "slug": "b"}"#, [:]),
                (.post, "/sources", "\u{FEFF}{}", [:]),
                (.post, "/sources", "{}", [.contentType: "text/xml"]),
                (.get, "/", nil, [.accept: "text/html"]),
                (.post, "/destinations", #"{"sourceId": "x", "metadataId": "y", "settings": {"a": 1}}"#, [:]),
                (.post, "/v1/track", "{", [:]),
                (.post, "/v1/track", #"{"event": "E"}"#, [.authorization: "Basic !!!"]),
            ]
            for (method, uri, body, headers) in requests {
                let response = try await client.api(method, uri, rawBody: body, headers: headers)
                #expect(response.status.code >= 400 && response.status.code < 500, "\(method) \(uri): \(response.status)")
                let message = response.error["message"]?.stringValue ?? ""
                #expect(!message.isEmpty, "\(method) \(uri): no envelope: \(response.text)")
                for marker in [
                    ".swift", "/Sources/", "/work/", "/home/", "/tmp/", "Fatal error", "Stack", "0x0000", "SluiceCore.", "SluiceApp.", "GRDB",
                    "SQLITE", "Swift.",
                ] {
                    #expect(!response.text.contains(marker), "\(method) \(uri) answered with \(marker): \(response.text)")
                }
            }
        }
    }
}
