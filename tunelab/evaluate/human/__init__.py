"""Human rating: answers judged blind in a browser, and the ratings the votes give."""
