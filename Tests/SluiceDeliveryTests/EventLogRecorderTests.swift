import Foundation
import SluiceCore
import Testing

@testable import SluiceDelivery

/// What the event log keeps of the requests an integration sends (#17).
@Suite struct EventLogRecorderTests {
    @Test func aBatchIsOneRequestWhoseBodyIsKeptOnceOnItsFirstEvent() async throws {
        // Given three events batched two to a request, and a receiver that answers 202 "queued"
        let recorder = EventLogRecorder(redactor: Redactor(settings: [:], isSecret: { _ in true }), keepBodies: true)
        let receiver = RecordingSender { _ in HTTPResponseSpec(status: 202, bodyPrefix: Array("queued".utf8)) }
        let events = (0..<3).map { Fixtures.event($0) }
        let target = Fixtures.target(["enable_batching": true, "batch_size": 2])
        // When they are delivered through the recorder
        _ = await WebhookIntegration().deliver(events, to: target, sender: recorder.observing(receiver.sender))
        let logged = recorder.requests(events: 3)
        // Then the events of one request share its key and answer, and only the first holds the body
        let first = try #require(logged[0])
        let second = try #require(logged[1])
        #expect(first.key == second.key)
        #expect(first.events == 2)
        #expect(first.status == 202)
        #expect(second.response == Array("queued".utf8))
        #expect(first.body.flatMap { try? JSONValue.parse($0) } == .array([events[0], events[1]]))
        #expect(second.body == nil)
        #expect(logged[2]?.key != first.key)
        #expect(logged[2]?.events == 1)
        #expect(first.url == "https://hooks.example.com/in")
    }

    @Test func eventsThatMadeNoRequestHaveNone() async throws {
        let recorder = EventLogRecorder(redactor: Redactor(settings: [:], isSecret: { _ in false }), keepBodies: false)
        let receiver = RecordingSender(status: 200)
        let target = Fixtures.target(["url": "not a url"])
        _ = await WebhookIntegration().deliver([Fixtures.event(0)], to: target, sender: recorder.observing(receiver.sender))
        #expect(recorder.requests(events: 1) == [nil])
        #expect(receiver.requests.isEmpty)
    }

    @Test func bodiesAreLeftOutWhenTurnedOffButTheRestIsKept() async throws {
        let recorder = EventLogRecorder(redactor: Redactor(settings: [:], isSecret: { _ in false }), keepBodies: false)
        let receiver = RecordingSender { _ in HTTPResponseSpec(status: 500, bodyPrefix: Array("boom".utf8)) }
        _ = await WebhookIntegration().deliver([Fixtures.event(0)], to: Fixtures.target(), sender: recorder.observing(receiver.sender))
        let logged = try #require(recorder.requests(events: 1).first ?? nil)
        #expect(logged.body == nil)
        #expect(logged.response == nil)
        #expect(logged.status == 500)
        #expect(logged.method == "POST")
    }

    @Test func secretSettingValuesAreRedactedAsTextAndInsideJSONStrings() {
        let redactor = Redactor(
            settings: ["apiKey": "k3y/with\"quote", "sharedSecret": "abc", "region": "eu-west", "token": 12345], isSecret: { $0 != "region" })
        let text = #"{"key":"k3y/with\"quote","raw":k3y/with"quote,"region":"eu-west","short":"abc"}"#
        let redacted = String(decoding: redactor.redact(Array(text.utf8)), as: UTF8.self)
        // The secret goes in both its forms; a value too short to be a credential, a setting not secret and a number stay
        #expect(redacted == #"{"key":"[redacted]","raw":[redacted],"region":"eu-west","short":"abc"}"#)
        #expect(Redactor(settings: [:], isSecret: { _ in true }).redact(Array("same".utf8)) == Array("same".utf8))
    }
}
