package io.loopbridge.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** A Spring Boot application with a loopbridge pool from the starter: {@link LoopController} uses it. */
@SpringBootApplication
public class ExampleApplication {
    /** Runs the application. */
    public static void main(String[] args) {
        SpringApplication.run(ExampleApplication.class, args);
    }
}
