"""Weight-file tests and the file makers they share with bench/."""
