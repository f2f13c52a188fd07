import Foundation
import SluiceCore
import Testing

@testable import SluiceDelivery

@Suite struct WebhookSigningTests {
    @Test(arguments: [
        // RFC 2202, test case 2
        ("Jefe", "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        // The well-known pangram vector
        ("key", "The quick brown fox jumps over the lazy dog", "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"),
    ])
    func signatureIsLowerCaseHexHmacSha1(secret: String, body: String, expected: String) {
        // Given a known HMAC-SHA1 vector
        // When the body is signed
        // Then the signature is the vector's, in lower-case hex
        #expect(WebhookIntegration.signature(body: Array(body.utf8), secret: secret) == expected)
    }

    @Test func requestIsSignedOverItsExactBodyBytes() throws {
        // Given a destination with a shared secret
        let target = Fixtures.target(destination: ["sharedSecret": "Jefe"])

        // When a request is planned
        let request = try WebhookIntegration().requests(for: [Fixtures.event(1)], to: target)[0].request.get()

        // Then X-Signature is the HMAC of exactly the bytes sent
        let signature = try #require(request.header("X-Signature"))
        #expect(signature == WebhookIntegration.signature(body: request.body, secret: "Jefe"))
        #expect(signature.count == 40 && signature == signature.lowercased())
    }

    @Test func batchBodyIsSignedWhole() throws {
        // Given batching and a shared secret
        let target = Fixtures.target(["enable_batching": true], destination: ["sharedSecret": "k"])

        // When a batch request is planned
        let request = try WebhookIntegration().requests(for: [Fixtures.event(1), Fixtures.event(2)], to: target)[0].request.get()

        // Then the signature covers the whole array body
        #expect(request.body.first == UInt8(ascii: "["))
        #expect(request.header("X-Signature") == WebhookIntegration.signature(body: request.body, secret: "k"))
    }

    @Test(arguments: [[:], ["sharedSecret": ""], ["sharedSecret": .null], ["sharedSecret": 5]] as [[String: JSONValue]])
    func noSecretNoSignature(destination: [String: JSONValue]) throws {
        // Given a destination without a usable shared secret
        let target = Fixtures.target(destination: destination)

        // When a request is planned
        let request = try WebhookIntegration().requests(for: [Fixtures.event(1)], to: target)[0].request.get()

        // Then it is not signed
        #expect(request.header("X-Signature") == nil)
    }
}
