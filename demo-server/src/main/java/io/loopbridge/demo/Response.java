package io.loopbridge.demo;

import io.netty.handler.codec.http.HttpResponseStatus;

/** What an endpoint answers: a status, a content type and a body. */
record Response(HttpResponseStatus status, String contentType, String body) {
    static final String JSON = "application/json; charset=utf-8";

    static Response json(Object body) {
        return json(HttpResponseStatus.OK, body);
    }

    static Response json(HttpResponseStatus status, Object body) {
        return new Response(status, JSON, Json.write(body) + "\n");
    }
}
