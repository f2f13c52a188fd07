import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTesting
import Testing

@testable import SluiceApp

/// Catalog ids the tests use.
enum Fixture {
    static let amplitude = "54521fd525e721e32a72ee91"
    static let kinesis = "57da359580412f644ff33fb9"
    static let ga4 = "60ad61f9ff47a16b8fb7b5d9"
    static let webhooks = "614a3c7d791c91c41bae7599"
    /// The `.NET` source in the catalog.
    static let netSource = "8HWbgPTt3k"
}

extension TestClientProtocol {
    /// Creates a source and returns its id.
    func createSource(slug: String = "web-\(Identifier.random(length: 6).lowercased())", enabled: Bool = true) async throws -> String {
        let response = try await api(
            .post, "/sources", json: ["slug": .string(slug), "enabled": .bool(enabled), "metadataId": .string(Fixture.netSource)])
        #expect(response.status == .created, "\(response.text)")
        return try #require(response.data["source"]?["id"]?.stringValue)
    }

    /// Creates an Amplitude destination on `sourceID` and returns its id.
    func createAmplitude(sourceID: String, apiKey: String = "3cb9b589437d3904f19b2b791c2cdada") async throws -> String {
        let response = try await api(
            .post, "/destinations",
            json: ["sourceId": .string(sourceID), "metadataId": .string(Fixture.amplitude), "settings": ["apiKey": .string(apiKey)]])
        #expect(response.status == .ok, "\(response.text)")
        return try #require(response.data["destination"]?["id"]?.stringValue)
    }
}

/// Checks an error answer: status, Segment's envelope, the type and (when given) the field.
func expectError(
    _ response: APIResponse, _ status: HTTPResponse.Status, type: String? = nil, field: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
    let error = response.error
    #expect(error["type"]?.stringValue != nil, "no envelope: \(response.text)", sourceLocation: sourceLocation)
    #expect(error["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    #expect(error["status"]?.numberValue == Double(status.code), sourceLocation: sourceLocation)
    if let type { #expect(error["type"]?.stringValue == type, sourceLocation: sourceLocation) }
    if let field { #expect(error["field"]?.stringValue == field, "\(response.text)", sourceLocation: sourceLocation) }
}
