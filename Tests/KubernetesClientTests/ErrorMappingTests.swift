import Foundation
import Testing

@testable import KubernetesClient

@Suite struct ErrorMappingTests {
    private func error(_ code: Int, _ body: String, retryAfter: String? = nil) -> KubernetesError {
        let status = try? JSONDecoder().decode(Status.self, from: Data(body.utf8))
        return KubernetesError(httpCode: code, status: status, retryAfterHeader: retryAfter, body: body)
    }

    @Test func notFound() {
        let e = error(404, #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nodes \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"nodes"},"code":404}"#)
        #expect(e.reason == .notFound)
        #expect(e.isNotFound)
        #expect(e.code == 404)
        #expect(e.message == #"nodes "x" not found"#)
        #expect(e.status?.details?.name == "x")
        let any: any Error = e
        #expect(any.isKubernetesNotFound)
    }

    @Test func alreadyExists() {
        let e = error(409, #"{"kind":"Status","status":"Failure","message":"jobs.batch \"j\" already exists","reason":"AlreadyExists","details":{"name":"j","group":"batch","kind":"jobs"},"code":409}"#)
        #expect(e.isAlreadyExists)
        #expect(!e.isConflict)
    }

    @Test func conflict() {
        let e = error(409, #"{"kind":"Status","status":"Failure","message":"Operation cannot be fulfilled on leases.coordination.k8s.io \"l\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","code":409}"#)
        #expect(e.isConflict)
        #expect((e as any Error).isKubernetesConflict)
    }

    @Test func goneAndExpired() {
        let expired = error(410, #"{"kind":"Status","status":"Failure","message":"The provided continue parameter is too old","reason":"Expired","code":410}"#)
        #expect(expired.isGone)
        #expect(expired.reason == .expired)
        let gone = error(410, #"{"kind":"Status","status":"Failure","message":"too old resource version","reason":"Gone","code":410}"#)
        #expect(gone.isGone)
        #expect(gone.reason == .gone)
    }

    @Test func forbidden() {
        let e = error(403, #"{"kind":"Status","status":"Failure","message":"nodes \"n\" is forbidden: User \"system:serviceaccount:kwasm:kwasm\" cannot patch resource \"nodes\"","reason":"Forbidden","details":{"name":"n","kind":"nodes"},"code":403}"#)
        #expect(e.isForbidden)
        #expect(e.message.contains("cannot patch"))
    }

    @Test func unauthorized() {
        let e = error(401, #"{"kind":"Status","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#)
        #expect(e.isUnauthorized)
    }

    @Test func invalidWithFieldCauses() {
        let e = error(422, #"""
        {"kind":"Status","status":"Failure","message":"Job.batch \"BAD\" is invalid: metadata.name: Invalid value: \"BAD\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters","reason":"Invalid",
         "details":{"name":"BAD","group":"batch","kind":"Job","causes":[
           {"reason":"FieldValueInvalid","message":"Invalid value: \"BAD\": a lowercase RFC 1123 subdomain","field":"metadata.name"},
           {"reason":"FieldValueRequired","message":"Required value","field":"spec.template.spec.containers"}]},"code":422}
        """#)
        #expect(e.isInvalid)
        #expect(e.causes.map(\.field) == ["metadata.name", "spec.template.spec.containers"])
        #expect(e.causes.map(\.reason) == ["FieldValueInvalid", "FieldValueRequired"])
        #expect(e.description.contains("spec.template.spec.containers"))
    }

    @Test func tooManyRequestsHonoursRetryAfter() {
        let header = error(429, #"{"kind":"Status","status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":1},"code":429}"#, retryAfter: "7")
        #expect(header.isTooManyRequests)
        #expect(header.retryAfter == .seconds(7))
        let details = error(429, #"{"kind":"Status","status":"Failure","reason":"TooManyRequests","details":{"retryAfterSeconds":3},"code":429}"#)
        #expect(details.retryAfter == .seconds(3))
        #expect(details.isRetryable)
    }

    @Test func serverErrors() {
        let internalError = error(500, #"{"kind":"Status","status":"Failure","message":"etcdserver: request timed out","reason":"InternalError","code":500}"#)
        #expect(internalError.reason == .internalError)
        #expect(internalError.isRetryable)
        let timeout = error(504, #"{"kind":"Status","status":"Failure","message":"Timeout: request did not complete within allowed duration","reason":"Timeout","details":{"retryAfterSeconds":2},"code":504}"#)
        #expect(timeout.reason == .timeout)
        #expect(timeout.retryAfter == .seconds(2))
        let unavailable = error(503, "upstream connect error")
        #expect(unavailable.reason == .serviceUnavailable)
        #expect(unavailable.message == "upstream connect error")
    }

    @Test(arguments: [
        (400, "BadRequest"), (401, "Unauthorized"), (403, "Forbidden"), (404, "NotFound"), (405, "MethodNotAllowed"),
        (409, "Conflict"), (410, "Expired"), (415, "UnsupportedMediaType"), (422, "Invalid"), (429, "TooManyRequests"),
        (500, "InternalError"), (503, "ServiceUnavailable"), (504, "Timeout"), (418, "Unknown"),
    ])
    func reasonFromHTTPCodeWhenTheBodyIsNotAStatus(code: Int, reason: String) {
        let e = error(code, "<html>proxy error</html>")
        #expect(e.reason.rawValue == reason)
        #expect(e.code == code)
        #expect(!e.message.isEmpty)
    }
}
