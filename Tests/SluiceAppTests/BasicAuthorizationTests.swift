import Foundation
import Testing

@testable import SluiceApp

/// The Tracking API's write key in an `Authorization: Basic` header (the header wins over the body's `writeKey`:
/// TrackingTests checks that through HTTP).
@Suite struct BasicAuthorizationTests {
    @Test(arguments: [
        ("Basic " + Data("wk123:".utf8).base64EncodedString(), "wk123"),
        ("basic " + Data("wk123".utf8).base64EncodedString(), "wk123"),
        ("Basic " + Data("wk123:ignored".utf8).base64EncodedString(), "wk123"),
        ("Basic d2sxMjM6", "wk123"),  // "wk123:" without its padding
    ])
    func writeKeyFromBasicHeader(header: String, expected: String) {
        // Given an Authorization header carrying the write key as the user
        // When it is read
        // Then the key is found
        #expect(BasicAuthorization.user(header) == expected)
    }

    @Test(arguments: [nil, "", "Bearer abc", "Basic", "Basic !!!", "Basic " + Data(":pw".utf8).base64EncodedString()] as [String?])
    func noWriteKeyInBadHeaders(header: String?) {
        // Given a missing, non-Basic, malformed, or user-less header
        // When it is read
        // Then there is no key
        #expect(BasicAuthorization.user(header) == nil)
    }
}
