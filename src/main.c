/* pemu: program entry (the command line lands with the foundation issue). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-version") || !strcmp(argv[1], "--version"))) {
        printf("pemu version %s\n", PEMU_VERSION);
        return 0;
    }
    fprintf(stderr, "pemu: no machine yet\n");
    return 1;
}
