#include "provenance/version.h"
