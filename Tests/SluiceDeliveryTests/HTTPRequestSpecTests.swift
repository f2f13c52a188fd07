import Testing

@testable import SluiceDelivery

@Suite struct HTTPRequestSpecTests {
    @Test func headerLookupIgnoresCase() {
        // Given a request with a mixed-case header
        let request = HTTPRequestSpec(method: "POST", url: "http://127.0.0.1/", headers: [("X-Signature", "abc")])

        // When it is looked up in another case
        let value = request.header("x-signature")

        // Then it is found
        #expect(value == "abc")
    }
}
