package io.loopbridge.demo;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.Map;

/** A request the demo refuses, with the status and the JSON body that say why. */
final class HttpException extends RuntimeException {
    final HttpResponseStatus status;
    final Map<String, Object> body;

    HttpException(HttpResponseStatus status, Map<String, Object> body) {
        super(String.valueOf(body.get("error")), null, false, false);
        this.status = status;
        this.body = body;
    }

    static HttpException badParameter(String name, String value, long min, long max) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", value == null ? "missing parameter '" + name + "'"
                : "parameter '" + name + "' must be an integer in [" + min + ", " + max + "], got '" + value + "'");
        body.put("parameter", name);
        body.put("min", min);
        body.put("max", max);
        return new HttpException(HttpResponseStatus.BAD_REQUEST, body);
    }

    static HttpException of(HttpResponseStatus status, String error) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        return new HttpException(status, body);
    }
}
