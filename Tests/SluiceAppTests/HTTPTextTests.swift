import Testing

@testable import SluiceApp

/// Header values and paths as the middleware reads them on every request.
@Suite struct HTTPTextTests {
    @Test(arguments: [
        ("token", "token"), ("  token", "token"), ("token \t", "token"), ("\t to ken \t", "to ken"), ("", ""), (" \t ", ""),
        ("\u{00A0}token", "\u{00A0}token"),  // only HTTP's blanks (space, tab) are optional whitespace
        ("é ", "é"),
    ])
    func optionalWhitespaceIsTrimmed(text: String, expected: String) {
        #expect(text.trimmingOptionalWhitespace == Substring(expected))
        #expect(text[...].trimmingOptionalWhitespace == Substring(expected))
    }

    @Test func pathSegmentsAreCountedFromTheFirst() {
        #expect("/destinations/abc/subscriptions".pathSegment(0) == "destinations")
        #expect("/destinations/abc/subscriptions".pathSegment(2) == "subscriptions")
        #expect("/destinations/abc/subscriptions".pathSegment(3) == nil)
        #expect("/".pathSegment(0) == nil)
    }

    @Test(arguments: [
        ("/destinations/abc/subscriptions", MediaType.alpha), ("/destinations/abc/subscriptions/s1", MediaType.alpha),
        ("/destinations/abc/delivery-metrics", MediaType.beta), ("/destinations/abc", MediaType.standard),
        ("/destinations/subscriptionsX", MediaType.standard), ("/destinations/subscriptions", MediaType.standard),
        ("/delivery-overview/successful-delivery", MediaType.overview), ("/sources/abc/subscriptions", MediaType.standard),
    ])
    func eachPathOffersItsMediaTypes(path: String, offered: [MediaType]) {
        #expect(MediaTypeMiddleware.offered(for: path) == offered)
    }

    @Test(arguments: [
        ("application/json", MediaType.json), (" application/json\t", .json), ("Application/JSON", .json),
        ("application/vnd.segment.v1alpha+json", .v1alpha), ("*/*", .json), ("application/*", .json),
        ("application/vnd.segment.v1+json;q=0.1 , application/vnd.segment.v1alpha+json ; q = 0.9", .v1alpha),
    ])
    func subscriptionsNegotiateAmongTheirTypes(accept: String, expected: MediaType) {
        #expect(MediaType.negotiate(accept: accept, offered: MediaType.alpha) == expected)
    }

    @Test(arguments: ["application/vnd.segment.v1+json", "text/html", "application/json;q=0"])
    func typesTheOperationDoesNotServeAreRefused(accept: String) {
        #expect(MediaType.negotiate(accept: accept, offered: MediaType.alpha) == nil)
    }

    @Test(arguments: [("Bearer abc", "abc"), ("bearer   abc \t", "abc"), ("BEARER\tabc", nil), ("Bearer  ", nil), ("Basic abc", nil)])
    func bearerTokenIsReadWithoutItsBlanks(header: String, expected: String?) {
        #expect(AuthMiddleware.bearer(header) == expected)
    }
}
