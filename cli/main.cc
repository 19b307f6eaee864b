#include <cstdio>
int main() { std::puts("factdedup"); return 0; }
