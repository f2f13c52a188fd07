import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SluiceApp
import SluiceCatalog
import SluiceCore

extension AppSettings {
    /// Settings for in-process tests: an in-memory store, rate limits off unless asked for.
    public static func testing(rateLimit: Bool = false, subscriptions: Bool = true) -> AppSettings {
        AppSettings(host: "127.0.0.1", port: 0, database: .memory, rateLimit: rateLimit, subscriptions: subscriptions, logLevel: .warning)
    }
}

/// Runs an in-process Sluice for one test: a fresh in-memory store with a full token and a read-only one.
public enum TestHarness {
    /// A token that may do anything.
    public static let token = "sluice-test-token"
    /// A token that may only read.
    public static let readOnlyToken = "sluice-test-read-only-token"

    /// The shipped catalog, decoded once for the whole test run.
    public static let catalog: Catalog = Catalog.embedded()

    /// Builds the app on a new store and runs `body` with a router-mode test client.
    public static func withApp(
        settings: AppSettings = .testing(), store: (any Store)? = nil,
        _ body: @Sendable (any TestClientProtocol, any Store) async throws -> Void
    ) async throws {
        var logger = Logger(label: "sluice.test")
        logger.logLevel = settings.logLevel
        let opened: any Store
        if let store { opened = store } else { opened = try await openStore(settings, logger: logger) }
        let store = opened
        let tokens = TokenAuthenticator(store: store)
        try await tokens.ensure(token, actor: "test")
        try await tokens.ensure(readOnlyToken, readOnly: true, actor: "test")
        let app = try await buildApplication(settings: settings, store: store, catalog: catalog, logger: logger)
        try await app.test(.router) { client in try await body(client, store) }
    }
}

/// A response as a test sees it: status, headers and the body parsed as JSON when it is JSON.
public struct APIResponse: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: [UInt8]

    /// The body parsed as JSON, or `.null` when it is not JSON.
    public var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }
    /// `data` of a success envelope.
    public var data: JSONValue { json["data"] ?? .null }
    /// The first error of an error envelope.
    public var error: JSONValue { json["errors"]?.arrayValue?.first ?? .null }
}

extension TestClientProtocol {
    /// Sends a request with the full token (unless `token` says otherwise) and a JSON body.
    public func api(
        _ method: HTTPRequest.Method, _ uri: String, json: JSONValue? = nil, rawBody: String? = nil,
        token: String? = TestHarness.token, headers extra: HTTPFields = [:]
    ) async throws -> APIResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: JSONWriter.encode(json))
        } else if let rawBody {
            body = ByteBuffer(string: rawBody)
        }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            APIResponse(status: response.status, headers: response.headers, body: Array(response.body.readableBytesView))
        }
    }
}
