package io.charstream.app.cli;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The reference's logging: every line goes to the console (stderr, so stdout carries only generated
 * text) and is appended, time-stamped, to the log file of {@code --log-path}.
 */
public final class RunLog implements Closeable {

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");

  private final BufferedWriter file;
  private final PrintWriter console;
  private final String name;

  private RunLog(BufferedWriter file, PrintWriter console, String name) {
    this.file = file;
    this.console = console;
    this.name = name;
  }

  /**
   * @throws IOException when the log file cannot be created or appended to
   */
  public static RunLog open(Path path, String name, PrintWriter console) throws IOException {
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    BufferedWriter w =
        Files.newBufferedWriter(
            path, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    return new RunLog(w, console, name);
  }

  public void info(String message) {
    write("INFO", message);
  }

  public void warn(String message) {
    write("WARNING", message);
  }

  public void error(String message) {
    write("ERROR", message);
  }

  /** To the file only (e.g. the call and its arguments). */
  public void debug(String message) {
    fileLine("DEBUG", message);
  }

  private synchronized void write(String level, String message) {
    console.println(message);
    console.flush();
    fileLine(level, message);
  }

  private synchronized void fileLine(String level, String message) {
    try {
      file.write(LocalDateTime.now().format(TIME) + " - " + name + " - " + level + " - " + message);
      file.newLine();
      file.flush();
    } catch (IOException e) {
      console.println("charstream: cannot write the log file (" + e.getMessage() + ")");
    }
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
